# Lifeline: a static binary run as a non-root user, data on the /data volume.
#
#   docker build -t lifeline \
#     --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) .
#   docker run -d --name lifeline --restart unless-stopped --stop-timeout 30 \
#     -v lifeline-data:/data \
#     -v $PWD/config.yaml:/etc/lifeline/config.yaml:ro \
#     -e TELEGRAM_TOKEN=... -p 127.0.0.1:8080:8080 lifeline
#
# In the mounted config set `data_dir: /data`, disable the console platform
# and set `http.listen: ":8080"` (deploy/config.docker.yaml is a start).
# --stop-timeout 30: on `docker stop` the bot stops reading, then sends what
# is still in its outbox for up to 15 s; Docker's default 10 s would kill it
# half way. The WeChat login QR code is printed to the log: docker logs -f lifeline.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/lifeline ./cmd/lifeline
# An empty data directory owned by the runtime user (distroless "nonroot",
# uid 65532): Docker fills a new named volume from the image's /data, so
# the bot can create its database there.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0750 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lifeline /usr/local/bin/lifeline
COPY --from=build --chown=65532:65532 /out/data /data
# Time zone data for `timezone:` comes from the binary's embedded copy.
# `lifeline run` and `lifeline health` read the config named here.
ENV LIFELINE_CONFIG=/etc/lifeline/config.yaml
USER 65532:65532
VOLUME ["/data"]
# http.listen: /healthz, /readyz, /metrics (and the board). Publish it on
# the host's loopback (-p 127.0.0.1:8080:8080) or behind an HTTPS proxy.
EXPOSE 8080
STOPSIGNAL SIGTERM
# Unhealthy while /readyz fails: a platform down, WeChat waiting for a QR
# scan, no coordination chat reachable, the outbox stuck.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/lifeline", "health"]
ENTRYPOINT ["/usr/local/bin/lifeline"]
CMD ["run"]
