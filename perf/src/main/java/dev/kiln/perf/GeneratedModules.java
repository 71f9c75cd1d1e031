package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;

/** Kiln-ABI modules made up for pool, compile and density measurements. */
final class GeneratedModules {
    private GeneratedModules() {}

    /**
     * A module whose {@code kiln_init} fills {@code kib} KiB of memory (from 64 KiB on) with
     * pseudo-random bytes, so its snapshot holds that much initialised memory. The handler writes
     * one i64 into each of the first {@code payload[0]} 4 KiB chunks of that region (dirtying them)
     * and returns 8 bytes.
     */
    static byte[] initialisedMemory(int kib) {
        int pages = 2 + (kib + 63) / 64;
        return Wat2Wasm.parse(
                """
                (module
                  (memory (export "memory") %d %d)
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_init")
                    (local $i i32) (local $x i64)
                    (local.set $x (i64.const 88172645463325252))
                    (block $done (loop $fill
                      (br_if $done (i32.ge_u (local.get $i) (i32.const %d)))
                      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
                      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
                      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
                      (i64.store (i32.add (i32.const 65536) (local.get $i)) (local.get $x))
                      (local.set $i (i32.add (local.get $i) (i32.const 8)))
                      (br $fill))))
                  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
                    (local $n i32) (local $i i32)
                    (if (local.get $len) (then (local.set $n (i32.load8_u (local.get $ptr)))))
                    (block $done (loop $touch
                      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                      (i64.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 12)))
                                 (i64.extend_i32_u (local.get $i)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $touch)))
                    (i64.or (i64.shl (i64.const 65536) (i64.const 32)) (i64.const 8))))
                """
                        .formatted(pages, pages, kib * 1024));
    }

    /**
     * A module of about {@code targetBytes} of code: many functions of branchy integer arithmetic
     * calling each other, the shape of a large compiled program.
     */
    static byte[] largeModule(int targetBytes) {
        StringBuilder wat = new StringBuilder(targetBytes * 4);
        wat.append(
                """
                (module
                  (memory (export "memory") 1)
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i32.store (i32.const 2048) (call $f0 (local.get 1)))
                    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 4)))
                """);
        // One function below is ~515 bytes of code; each calls the next.
        int functions = Math.max(1, targetBytes / 515);
        for (int f = 0; f < functions; f++) {
            wat.append("  (func $f").append(f).append(" (param $x i32) (result i32)\n");
            wat.append("    (local $a i32) (local $b i32) (local $i i32)\n");
            wat.append("    (local.set $a (local.get $x))\n");
            wat.append("    (block $out (loop $l\n");
            wat.append("      (br_if $out (i32.ge_u (local.get $i) (i32.const 8)))\n");
            for (int k = 0; k < 12; k++) {
                wat.append("      (local.set $b (i32.add (i32.mul (local.get $a) (i32.const ")
                        .append(1103515245 + f * 31 + k)
                        .append(")) (i32.const ")
                        .append(12345 + k)
                        .append(")))\n");
                wat.append(
                        "      (if (i32.and (local.get $b) (i32.const 1)) (then (local.set $a"
                                + " (i32.xor (local.get $a) (local.get $b)))) (else (local.set $a"
                                + " (i32.rotl (local.get $a) (i32.const 5)))))\n");
            }
            wat.append("      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n");
            wat.append("      (br $l)))\n");
            if (f + 1 < functions) {
                wat.append("    (if (i32.eqz (local.get $x)) (then (return (call $f")
                        .append(f + 1)
                        .append(" (local.get $a)))))\n");
            }
            wat.append("    (local.get $a))\n");
        }
        wat.append(")\n");
        return Wat2Wasm.parse(wat.toString());
    }

    /**
     * A small, realistic function made distinct by {@code seed}: a greeting handler with a few
     * helpers and static strings, two pages of memory, its own constants (so its code hash, and its
     * compiled classes, are its own).
     */
    static byte[] smallFunction(int seed) {
        return Wat2Wasm.parse(
                """
                (module
                  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 2)
                  (data (i32.const 16) "Hello, function %d! ")
                  (global $bump (mut i32) (i32.const 65536))
                  (global $calls (mut i32) (i32.const 0))
                  (func (export "kiln_alloc") (param $len i32) (result i32)
                    (local $p i32)
                    (local.set $p (global.get $bump))
                    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
                    (local.get $p))
                  (func $hash (param $p i32) (param $n i32) (result i32)
                    (local $h i32) (local $i i32)
                    (local.set $h (i32.const %d))
                    (block $d (loop $l
                      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
                      (local.set $h (i32.mul (i32.xor (local.get $h)
                        (i32.load8_u (i32.add (local.get $p) (local.get $i)))) (i32.const 16777619)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $l)))
                    (local.get $h))
                  (func $hex (param $v i32) (param $out i32)
                    (local $i i32) (local $d i32)
                    (block $d (loop $l
                      (br_if $d (i32.ge_u (local.get $i) (i32.const 8)))
                      (local.set $d (i32.and (i32.shr_u (local.get $v)
                        (i32.sub (i32.const 28) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 15)))
                      (i32.store8 (i32.add (local.get $out) (local.get $i))
                        (i32.add (local.get $d) (select (i32.const 48) (i32.const 87)
                          (i32.lt_u (local.get $d) (i32.const 10)))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $l))))
                  (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
                    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
                    (memory.copy (i32.const 4096) (i32.const 16) (i32.const 32))
                    (call $hex (call $hash (local.get $ptr) (local.get $len)) (i32.const 4128))
                    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.const 40))))
                """
                        .formatted(seed, seed * 2654435761L & 0x7fffffffL));
    }
}
