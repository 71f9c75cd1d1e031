package dev.kiln.host.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestIdsTest {
    @Test
    void idsMadeOneAfterAnotherSortInThatOrderEvenWithinAMillisecond() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(RequestIds.next());
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(new HashSet<>(ids.stream().map(id -> id.substring(0, 10)).toList()).size())
                .as("milliseconds the ids span")
                .isLessThan(ids.size());
        assertThat(ids).allMatch(id -> id.matches("[0-9A-HJKMNP-TV-Z]{26}"));
    }

    @Test
    void theCharactersCarryTheBitsMostSignificantFirst() {
        assertThat(RequestIds.format(0, 0, 1)).isEqualTo("0000000000" + "00000000" + "00000001");
        assertThat(RequestIds.format(1, (1L << 40) - 1, 32))
                .isEqualTo("0000000001" + "ZZZZZZZZ" + "00000010");
    }
}
