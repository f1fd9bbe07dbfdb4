# The load balancer in front of the web services: Debian's HAProxy with
# docker/haproxy.cfg (the same file the production test runs).
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy=2.6.* \
    && rm -rf /var/lib/apt/lists/* \
    && groupmod --gid 10002 haproxy \
    && usermod --uid 10002 --gid 10002 haproxy

COPY docker/haproxy.cfg /etc/haproxy/haproxy.cfg

USER 10002:10002
EXPOSE 8000 8404
HEALTHCHECK --interval=10s --timeout=3s \
    CMD ["haproxy", "-c", "-q", "-f", "/etc/haproxy/haproxy.cfg"]
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
