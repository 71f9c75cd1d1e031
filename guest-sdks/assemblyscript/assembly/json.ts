// A small JSON reader and writer, enough for event payloads and summaries.

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** A parsed JSON value. Missing members and elements read as null, so lookups chain. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  /** The member `key` of an object (null value when absent or not an object). */
  get(key: string): JsonValue {
    if (this.kind == JsonKind.Object) {
      for (let i = 0; i < this.keys.length; i++) {
        if (this.keys[i] == key) return this.items[i];
      }
    }
    return NULL_VALUE;
  }

  /** The element `i` of an array (null value when absent or not an array). */
  at(i: i32): JsonValue {
    return this.kind == JsonKind.Array && i >= 0 && i < this.items.length ? this.items[i] : NULL_VALUE;
  }

  /** Elements of an array; empty for anything else. */
  get length(): i32 {
    return this.kind == JsonKind.Array ? this.items.length : 0;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }
  /** A number with no fraction that fits an i64 exactly (|n| < 2^53). */
  get isInteger(): bool {
    return this.kind == JsonKind.Number && Math.floor(this.num) == this.num && Math.abs(this.num) < 9007199254740992;
  }
}

const NULL_VALUE = new JsonValue();

/** Deepest nesting Json.parse accepts: hostile input cannot exhaust the guest's stack. */
export const JSON_MAX_DEPTH = 128;

class Parser {
  pos: i32 = 0;
  error: string = "";
  constructor(public s: string) {}

  fail(what: string): JsonValue | null {
    if (this.error.length == 0) this.error = "invalid JSON at " + this.pos.toString() + ": " + what;
    return null;
  }

  ws(): void {
    while (this.pos < this.s.length) {
      let c = this.s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  lit(word: string): bool {
    if (this.s.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > JSON_MAX_DEPTH) return this.fail("nested too deeply");
    this.ws();
    if (this.pos >= this.s.length) return this.fail("unexpected end");
    let v = new JsonValue();
    let c = this.s.charCodeAt(this.pos);
    if (c == 0x6e /* n */) {
      if (!this.lit("null")) return this.fail("unexpected character");
    } else if (c == 0x74 /* t */) {
      if (!this.lit("true")) return this.fail("unexpected character");
      v.kind = JsonKind.Bool;
      v.bool = true;
    } else if (c == 0x66 /* f */) {
      if (!this.lit("false")) return this.fail("unexpected character");
      v.kind = JsonKind.Bool;
    } else if (c == 0x22 /* " */) {
      let s = this.string();
      if (s === null) return null;
      v.kind = JsonKind.String;
      v.str = s;
    } else if (c == 0x5b /* [ */) {
      this.pos++;
      v.kind = JsonKind.Array;
      this.ws();
      if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) {
        this.pos++;
        return v;
      }
      while (true) {
        let item = this.value(depth + 1);
        if (item === null) return null;
        v.items.push(item);
        this.ws();
        let d = this.pos < this.s.length ? this.s.charCodeAt(this.pos++) : -1;
        if (d == 0x5d) break;
        if (d != 0x2c) return this.fail("expected ',' or ']'");
      }
    } else if (c == 0x7b /* { */) {
      this.pos++;
      v.kind = JsonKind.Object;
      this.ws();
      if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) {
        this.pos++;
        return v;
      }
      while (true) {
        this.ws();
        if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return this.fail("expected a member name");
        let key = this.string();
        if (key === null) return null;
        this.ws();
        if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
        this.pos++;
        let item = this.value(depth + 1);
        if (item === null) return null;
        v.keys.push(key);
        v.items.push(item);
        this.ws();
        let d = this.pos < this.s.length ? this.s.charCodeAt(this.pos++) : -1;
        if (d == 0x7d) break;
        if (d != 0x2c) return this.fail("expected ',' or '}'");
      }
    } else {
      let start = this.pos;
      while (this.pos < this.s.length) {
        let d = this.s.charCodeAt(this.pos);
        if (!((d >= 0x30 && d <= 0x39) || d == 0x2d || d == 0x2b || d == 0x2e || d == 0x65 || d == 0x45)) break;
        this.pos++;
      }
      if (start == this.pos) return this.fail("unexpected character");
      let n = parseFloat(this.s.substring(start, this.pos));
      if (isNaN(n)) return this.fail("invalid number");
      v.kind = JsonKind.Number;
      v.num = n;
    }
    return v;
  }

  string(): string | null {
    this.pos++; // opening quote
    let out = "";
    let run = this.pos; // start of the current unescaped run
    while (true) {
      if (this.pos >= this.s.length) {
        this.fail("unterminated string");
        return null;
      }
      let c = this.s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.s.substring(run, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += this.s.substring(run, this.pos);
      let e = this.pos + 1 < this.s.length ? this.s.charCodeAt(this.pos + 1) : -1;
      this.pos += 2;
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        let hex = this.s.substr(this.pos, 4);
        let code = hex.length == 4 ? I32.parseInt(hex, 16) : -1;
        let valid = hex.length == 4;
        for (let i = 0; i < hex.length; i++) {
          let h = hex.charCodeAt(i);
          if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) valid = false;
        }
        if (!valid) {
          this.fail("invalid \\u escape");
          return null;
        }
        out += String.fromCharCode(code); // surrogate pairs arrive as two escapes: UTF-16 joins them
        this.pos += 4;
      } else {
        this.fail("invalid escape");
        return null;
      }
      run = this.pos;
    }
  }
}

export namespace Json {
  /** The message of the last failed parse, with the character offset. */
  export let lastError: string = "";

  /** Parses a document; null when invalid (see Json.lastError). */
  export function parse(text: string): JsonValue | null {
    let p = new Parser(text);
    let v = p.value(0);
    if (v !== null) {
      p.ws();
      if (p.pos != text.length) v = p.fail("trailing characters");
    }
    lastError = p.error;
    return v;
  }

  /** `s` as a JSON string literal, quotes included. */
  export function quote(s: string): string {
    let out = "\"";
    let run = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      out += s.substring(run, i);
      if (c == 0x22) out += "\\\"";
      else if (c == 0x5c) out += "\\\\";
      else if (c == 0x0a) out += "\\n";
      else if (c == 0x0d) out += "\\r";
      else if (c == 0x09) out += "\\t";
      else out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
      run = i + 1;
    }
    return out + s.substring(run) + "\"";
  }
}

/** Writes a JSON object member by member: `new JsonObject().str("id", id).int("n", 2).toString()`. */
export class JsonObject {
  private out: string = "";

  private key(k: string): void {
    this.out += (this.out.length == 0 ? "" : ",") + Json.quote(k) + ":";
  }

  str(k: string, v: string): JsonObject {
    this.key(k);
    this.out += Json.quote(v);
    return this;
  }

  int(k: string, v: i64): JsonObject {
    this.key(k);
    this.out += v.toString();
    return this;
  }

  num(k: string, v: f64): JsonObject {
    this.key(k);
    this.out += isFinite(v) ? v.toString() : "null";
    return this;
  }

  bool(k: string, v: bool): JsonObject {
    this.key(k);
    this.out += v ? "true" : "false";
    return this;
  }

  /** A member whose value is already JSON. */
  raw(k: string, json: string): JsonObject {
    this.key(k);
    this.out += json;
    return this;
  }

  toString(): string {
    return "{" + this.out + "}";
  }
}
