/* Loaded by sao's index.html after the client (custom.js).
 *
 * The server hides its list of databases ([database] list = False): sao
 * then shows an empty "Base de données" field. The address names the
 * database (http://host/#ess_demo): propose it, as sao does when the list
 * has only one name. */
(function() {
    'use strict';
    var list = Sao.DB.list;
    Sao.DB.list = function() {
        var database = window.location.hash.replace(
            /^(#(!|))/, '').split('/', 1)[0];
        return list().then(null, function() {
            if (database) {
                return [decodeURIComponent(database)];
            }
            return jQuery.Deferred().reject();
        });
    };
}());

/* Opening a menu entry once opens one tab. In sao's menu a click already
 * opens the entry, so a double click (click, click, dblclick) asked three
 * times for the same action while the first tab was still loading: sao
 * only finds an already open tab once it has loaded. An entry is not
 * opened again within three seconds of being opened. */
(function() {
    'use strict';
    var activate = Sao.main_menu_row_activate;
    var opening = {};
    Sao.main_menu_row_activate = function() {
        var screen = Sao.main_menu_screen;
        var id = screen ? screen.get_id() : null;
        var now = Date.now();
        if (id === null || id === undefined) {
            return activate.apply(this, arguments);
        }
        if (opening[id] && (now - opening[id] < 3000)) {
            return;
        }
        opening[id] = now;
        return activate.apply(this, arguments);
    };
}());

/* A menu entry with a context form (the indicators) shows its open tab
 * instead of opening another: sao compares the context of the tab's
 * screen, which holds the values of the context form (dates...), with the
 * action's context, so such tabs never matched. Compare the context the
 * tab was opened with. */
(function() {
    'use strict';
    var compare = Sao.Tab.Form.prototype.compare;
    Sao.Tab.Form.prototype.compare = function(attributes) {
        if (attributes && attributes.context_model && this.screen &&
                (this.attributes.context_model ===
                    attributes.context_model) &&
                (JSON.stringify(this.attributes.context || {}) ===
                    JSON.stringify(attributes.context || {}))) {
            attributes = jQuery.extend({}, attributes, {
                'context': this.screen.local_context,
            });
        }
        return compare.call(this, attributes);
    };
}());

/* A tab switched from its list to its graph (or back) is still the menu
 * entry's tab: sao takes an open tab for the entry only while it shows its
 * first view, so an indicator opened again after a look at its graph
 * opened a second tab. A tab showing a record's form is left to sao's
 * rule (its entry opens a new list). */
(function() {
    'use strict';
    var compare = Sao.Tab.Form.prototype.compare;
    Sao.Tab.Form.prototype.compare = function(attributes) {
        var screen = this.screen;
        var current = screen && screen.current_view;
        var first = screen && screen.views[0];
        if (!current || !first || (current === first) ||
                (current.view_type === 'form') ||
                (first.view_type === 'form')) {
            return compare.call(this, attributes);
        }
        // compared as at its first view, then back to the view shown
        screen.current_view = first;
        try {
            return compare.call(this, attributes);
        } finally {
            screen.current_view = current;
        }
    };
}());

/* A selection keeps showing its value while the form redisplays it. sao
 * 8.0 empties and refills a selection's options at each display and only
 * selects the record's value in a later tick: clicking a form button right
 * after typing in another field (the typed value redisplays the form when
 * the field loses the focus) read the first option of every selection and
 * saved it (an endpoint lost its protocol, and its kind and environment
 * changed, on « Tester la connexion »). The option shown before the refill
 * stays selected until sao selects the record's value. */
(function() {
    'use strict';
    var set_selection = Sao.View.Form.Selection.prototype.set_selection;
    Sao.View.Form.Selection.prototype.set_selection = function() {
        var previous = this.select.val();
        set_selection.apply(this, arguments);
        if ((previous !== null) && (previous !== undefined) &&
            this.select.find('option').filter(function() {
                return this.value === previous;
            }).length) {
            this.select.val(previous);
        }
    };
}());

/* A board's panel lists the records of its action's domain (late cases,
 * dead messages...): sao's board computes that domain (update_domain,
 * called just before the panel's screen is made) but never gives it to
 * the screen, which then listed every record. Hand the panel's domain to
 * the screen made next; update_domain changes that same list in place
 * afterwards. */
(function() {
    'use strict';
    var pending = null;
    var update_domain = Sao.View.Board.Action.prototype.update_domain;
    Sao.View.Board.Action.prototype.update_domain = function() {
        var result = update_domain.apply(this, arguments);
        if (!this.screen) {
            pending = this.domain;
        }
        return result;
    };
    var init = Sao.Screen.prototype.init;
    Sao.Screen.prototype.init = function(model_name, attributes) {
        var panel = pending && attributes && !attributes.domain;
        if (panel) {
            attributes.domain = pending;
        }
        pending = null;
        var result = init.apply(this, arguments);
        if (panel) {
            // each search focused the panel's search box: the board
            // scrolled down to its last panel, hiding the first ones
            this.screen_container.search_entry.focus = function() {
                return this;
            };
        }
        return result;
    };
}());

/* A report marked « direct print » (the case's receipt) opens in a new tab
 * of the browser, whose PDF viewer prints it, instead of being downloaded:
 * sao 8.0 downloads every report (exec_report: "TODO direct print"). The
 * tab is opened at the click, while the browser still allows a new tab
 * (the report comes later), then shows the PDF. A report that is not a
 * PDF, or a tab the browser refused, is downloaded as before. */
(function() {
    'use strict';
    var exec_report = Sao.Action.exec_report;
    Sao.Action.exec_report = function(attributes) {
        if (!attributes.direct_print) {
            return exec_report.apply(this, arguments);
        }
        var tab = window.open('', '_blank');
        var data = jQuery.extend({}, attributes.data);
        var context = jQuery.extend(
            {}, Sao.Session.current_session.context,
            attributes.context || {});
        context.direct_print = attributes.direct_print;
        return Sao.rpc({
            'method': 'report.' + attributes.name + '.execute',
            'params': [data.ids || [], data, context],
        }, Sao.Session.current_session).done(function(result) {
            var type = result[0], content = result[1], name = result[3];
            if (tab && !tab.closed && type == 'pdf') {
                var blob = new Blob([content], {'type': 'application/pdf'});
                tab.location.href = window.URL.createObjectURL(blob);
            } else {
                if (tab) {
                    tab.close();
                }
                Sao.common.download_file(content, name + '.' + type);
            }
        }).fail(function() {
            if (tab) {
                tab.close();
            }
        });
    };
}());
