# Lifeline: build a static binary, run it as a non-root user.
#   docker build -t lifeline .
#   docker run -d --name lifeline \
#     -v lifeline-data:/data \
#     -v $PWD/config.yaml:/etc/lifeline/config.yaml:ro \
#     -e TELEGRAM_TOKEN=... lifeline
# In the mounted config set `data_dir: /data` and disable the console platform.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/lifeline ./cmd/lifeline

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lifeline /usr/local/bin/lifeline
# Time zone data for `timezone:` comes from the Go binary's embedded copy.
VOLUME ["/data"]
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/lifeline"]
CMD ["run", "-config", "/etc/lifeline/config.yaml"]
