// The display screen of a waiting room: polls the queue's state every
// second, shows the calls, announces each new one aloud (French speech
// synthesis, then the site's recorded clips per language) and recovers by
// itself after a network cut.
(function () {
    'use strict';
    var script = document.getElementById('display-script');
    var stateUrl = script.getAttribute('data-state');
    var PERIOD = 1000;
    var MAX_DELAY = 5000;
    var delay = PERIOD;
    var seen = null;
    var announcing = [];
    var busy = false;
    // the site's published results show between calls: after this quiet
    var QUIET = 20000;
    var lastCall = 0;

    function el(tag, cls, text) {
        var node = document.createElement(tag);
        if (cls) node.className = cls;
        if (text !== undefined) node.textContent = text;
        return node;
    }

    function render(state) {
        document.getElementById('clock').textContent = state.now;
        var current = document.getElementById('current');
        current.textContent = '';
        if (state.calls.length) {
            var call = state.calls[0];
            current.appendChild(el('div', 'label', state.texts.ticket));
            current.appendChild(el('div', 'number', call.number));
            if (call.counter) {
                current.appendChild(el('div', 'arrow', '\u2192'));
                current.appendChild(el('div', 'counter', call.counter));
            }
            current.appendChild(el('div', 'sector', call.sector));
        } else {
            current.appendChild(el('div', 'empty', state.texts.welcome));
        }
        var last = document.getElementById('last');
        last.textContent = '';
        state.calls.slice(1).forEach(function (call) {
            var item = el('li');
            item.appendChild(el('span', 'number', call.counter
                ? call.number + ' \u2192 ' + call.counter : call.number));
            item.appendChild(el('span', 'at', call.at));
            last.appendChild(item);
        });
        var queue = document.getElementById('queue');
        queue.textContent = '';
        state.sectors.forEach(function (sector) {
            var item = el('li');
            item.appendChild(el('span', null, sector.name + ' : '));
            item.appendChild(el('strong', null, sector.text));
            queue.appendChild(item);
        });
        var results = document.getElementById('results');
        results.textContent = state.results || '';
        var quiet = !busy && Date.now() - lastCall > QUIET;
        results.classList.toggle('show', !!state.results && quiet);
    }

    function clipsOf(call, clips) {
        // "ticket", the letters and digits of the number, "counter", the
        // counter's digits: every language whose clips say them all
        var words = ['ticket'];
        call.number.replace(/[^A-Z0-9]/g, '').split('').forEach(
            function (c) { words.push(c); });
        if (call.counter_number) {
            words.push('counter');
            String(call.counter_number).split('').forEach(
                function (c) { words.push(c); });
        }
        var lists = [];
        Object.keys(clips).sort().forEach(function (language) {
            var urls = words.map(function (w) { return clips[language][w]; });
            if (urls.every(Boolean)) lists.push(urls);
        });
        return lists;
    }

    function playAll(urls, done) {
        if (!urls.length) { done(); return; }
        var audio = new Audio(urls[0]);
        var next = function () {
            audio.onended = audio.onerror = null;
            playAll(urls.slice(1), done);
        };
        audio.onended = next;
        audio.onerror = next;
        var played = audio.play();
        if (played && played.catch) played.catch(next);
    }

    function speak(text, done) {
        var synth = window.speechSynthesis;
        if (!synth || !window.SpeechSynthesisUtterance) { done(); return; }
        var finished = false;
        var finish = function () {
            if (!finished) { finished = true; done(); }
        };
        var utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = 'fr-FR';
        utterance.rate = 0.9;
        utterance.onend = finish;
        utterance.onerror = finish;
        // some voices never say they ended
        setTimeout(finish, 8000);
        synth.speak(utterance);
    }

    function announceNext() {
        if (busy || !announcing.length) return;
        busy = true;
        lastCall = Date.now();
        var item = announcing.shift();
        var current = document.getElementById('current');
        current.classList.remove('flash');
        void current.offsetWidth;
        current.classList.add('flash');
        speak(item.call.speech, function () {
            var lists = clipsOf(item.call, item.clips);
            var urls = [].concat.apply([], lists);
            playAll(urls, function () {
                busy = false;
                announceNext();
            });
        });
    }

    function announce(state) {
        var keys = state.calls.map(function (c) { return c.key; });
        if (seen === null) {
            // what was called before the screen started is not announced
            seen = keys;
            return;
        }
        state.calls.slice().reverse().forEach(function (call) {
            if (seen.indexOf(call.key) < 0) {
                announcing.push({call: call, clips: state.clips});
            }
        });
        seen = seen.concat(keys).slice(-200);
        announceNext();
    }

    function online(ok) {
        document.body.classList.toggle('offline', !ok);
    }

    function poll() {
        var stopped = false;
        fetch(stateUrl, {cache: 'no-store', credentials: 'omit'})
            .then(function (response) {
                if (response.status === 404) {
                    // the screen's address was renewed or removed: asking
                    // again would only get its network refused a while
                    stopped = true;
                    document.body.classList.add('revoked');
                }
                if (response.status === 429) delay = 60000;
                if (!response.ok) throw new Error(response.status);
                return response.json();
            })
            .then(function (state) {
                render(state);
                announce(state);
                online(true);
                delay = PERIOD;
            })
            .catch(function () {
                online(stopped);
                delay = Math.max(delay, Math.min(delay * 2, MAX_DELAY));
            })
            .then(function () { if (!stopped) setTimeout(poll, delay); });
    }

    document.getElementById('sound').addEventListener('click', function () {
        // browsers let a page speak once somebody touched it
        document.body.classList.add('sound-on');
        if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
            window.speechSynthesis.speak(new SpeechSynthesisUtterance(''));
        }
    });
    poll();
}());
