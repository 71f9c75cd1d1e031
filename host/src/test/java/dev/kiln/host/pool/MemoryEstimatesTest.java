package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The compiled-code estimate counts data segments as bytes, everything else as code. */
class MemoryEstimatesTest {
    @Test
    void dataSegmentsCountOnceCodeCountsPerByte() {
        byte[] noData = module(0);
        assertThat(MemoryEstimates.compiledCode(noData))
                .isEqualTo(
                        MemoryEstimates.CODE_OVERHEAD_BYTES
                                + MemoryEstimates.CODE_BYTES_PER_MODULE_BYTE * noData.length);

        byte[] withData = module(1 << 20);
        long data = (long) withData.length - noData.length; // the data section with its header
        long estimate = MemoryEstimates.compiledCode(withData);
        assertThat(estimate)
                .isBetween(
                        MemoryEstimates.compiledCode(noData) + data - 16,
                        MemoryEstimates.compiledCode(noData) + data + 16 * 64);
    }

    /** A module with one page of memory and, when {@code dataBytes} > 0, one active segment. */
    private static byte[] module(int dataBytes) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        out.writeBytes(new byte[] {5, 3, 1, 0, 1}); // memory section: one memory, min 1 page
        if (dataBytes > 0) {
            var body = new ByteArrayOutputStream();
            body.write(1); // one segment
            body.writeBytes(new byte[] {0, 0x41, 0, 0x0b}); // active, memory 0, i32.const 0
            leb(body, dataBytes);
            body.writeBytes(new byte[dataBytes]);
            out.write(11);
            leb(out, body.size());
            out.writeBytes(body.toByteArray());
        }
        return out.toByteArray();
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }
}
