package dev.kiln.host.replay;

import dev.kiln.abi.KvBucket;
import java.util.ArrayList;
import java.util.List;

/** A recorded {@code kv_list} page back as keys (encoded by {@link KvBucket#encodePage}). */
final class KvPages {
    private KvPages() {}

    static List<byte[]> decode(byte[] page) {
        List<byte[]> keys = new ArrayList<>();
        int at = 0;
        while (at + 2 <= page.length) {
            int len = (page[at] & 0xFF) | ((page[at + 1] & 0xFF) << 8);
            at += 2;
            int end = Math.min(page.length, at + len);
            keys.add(java.util.Arrays.copyOfRange(page, at, end));
            at = end;
        }
        return keys;
    }
}
