# Kiln in a container: the distribution archive (cli module, docs/adr/0044) on a Java 21 runtime.
#   docker build -t kiln .
#   docker run -p 8080:8080 -v kiln-data:/var/lib/kiln kiln          # admin token: docker logs
#   docker run -p 8080:8080 -e KILN_ADMIN_TOKEN=... -v kiln-data:/var/lib/kiln kiln
# Any `kiln serve` flag can follow the image name (they replace the CMD below).

FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY . .
# Tests run in CI, not in the image build; the archive is cli/target/kiln-<version>.tar.gz.
RUN mvn -B -ntp -q -DskipTests -Dspotless.check.skip=true -pl cli -am package \
 && mkdir /opt/kiln \
 && tar xzf cli/target/kiln-*.tar.gz -C /opt/kiln --strip-components=1

FROM eclipse-temurin:21-jre
RUN useradd --system --home-dir /var/lib/kiln --shell /usr/sbin/nologin kiln \
 && mkdir -p /var/lib/kiln && chown kiln:kiln /var/lib/kiln && chmod 0700 /var/lib/kiln
COPY --from=build /opt/kiln /opt/kiln
USER kiln
WORKDIR /var/lib/kiln
VOLUME /var/lib/kiln
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["/opt/kiln/bin/kiln"]
# In a container the port is reached from outside it: listen on every address, log JSON lines.
CMD ["serve", "--data", "/var/lib/kiln", "--host", "0.0.0.0", "--log-format", "json"]
