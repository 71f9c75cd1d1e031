package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.registry.AliasInfo;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.FunctionState;
import dev.kiln.host.registry.VersionInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * The registry's documents in the {@code kiln-registry} bucket (docs/adr/0048): one per function
 * ({@code fn.<service>.<function>}: settings, newest version, aliases; replaced by compare-and-set)
 * and one per older version ({@code ver.<service>.<function>.<incarnation>.<number>}). The
 * incarnation is drawn when a function is created, so versions of a deleted function never show up
 * in one created again under its name.
 */
final class RegistryDocs {
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RegistryDocs() {}

    record VersionDoc(
            int number, String sha256, long size, long createdAt, FunctionSettings settings) {
        static VersionDoc of(VersionInfo v) {
            return new VersionDoc(
                    v.number(),
                    v.sha256(),
                    v.sizeBytes(),
                    v.createdAt().toEpochMilli(),
                    v.settings());
        }

        VersionInfo info() {
            return new VersionInfo(number, sha256, size, Instant.ofEpochMilli(createdAt), settings);
        }
    }

    record AliasDoc(
            String name,
            int version,
            int additionalVersion,
            double additionalWeight,
            String description,
            long createdAt,
            long updatedAt) {
        static AliasDoc of(AliasInfo a) {
            return new AliasDoc(
                    a.name(),
                    a.version(),
                    a.additionalVersion(),
                    a.additionalWeight(),
                    a.description(),
                    a.createdAt().toEpochMilli(),
                    a.updatedAt().toEpochMilli());
        }

        AliasInfo info() {
            return new AliasInfo(
                    name,
                    version,
                    additionalVersion,
                    additionalWeight,
                    description,
                    Instant.ofEpochMilli(createdAt),
                    Instant.ofEpochMilli(updatedAt));
        }
    }

    /** A function, or (deleted) the tombstone its name leaves until it is created again. */
    record FunctionDoc(
            String service,
            String name,
            String incarnation,
            boolean deleted,
            FunctionSettings settings,
            long createdAt,
            long updatedAt,
            VersionDoc latest,
            List<AliasDoc> aliases) {
        static FunctionDoc of(FunctionState s, String incarnation) {
            FunctionInfo f = s.info();
            return new FunctionDoc(
                    f.service(),
                    f.name(),
                    incarnation,
                    false,
                    f.settings(),
                    f.createdAt().toEpochMilli(),
                    f.updatedAt().toEpochMilli(),
                    VersionDoc.of(f.latest()),
                    s.aliases().stream().map(AliasDoc::of).toList());
        }

        static FunctionDoc tombstone(FunctionName name, String incarnation) {
            return new FunctionDoc(
                    name.service(),
                    name.function(),
                    incarnation,
                    true,
                    null,
                    0,
                    0,
                    null,
                    List.of());
        }

        FunctionState state() {
            return new FunctionState(
                    new FunctionInfo(
                            service,
                            name,
                            settings,
                            latest.info(),
                            Instant.ofEpochMilli(createdAt),
                            Instant.ofEpochMilli(updatedAt)),
                    aliases.stream().map(AliasDoc::info).toList());
        }
    }

    static String functionKey(FunctionName f) {
        return "fn." + f.service() + "." + f.function();
    }

    static String versionKey(FunctionName f, String incarnation, int number) {
        return "ver." + f.service() + "." + f.function() + "." + incarnation + "." + number;
    }

    static byte[] write(Object doc) {
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T read(byte[] bytes, Class<T> type) throws IOException {
        return JSON.readValue(bytes, type);
    }
}
