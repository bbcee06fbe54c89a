// The filters' regular expressions (--http-allow-url, --http-disallow-url, --http-allow-host): parsed and
// checked here, where a bad pattern can be reported against the variable or flag that gave it, and
// compiled to the program that http-core runs (http-core/pattern_program.h). The core matches in time
// linear in the text (no backtracking), so a pattern cannot be made slow by what a client sends.
//
// The syntax is a subset of RE2's (and of JavaScript's) with the same meaning: literals, `.`, classes
// `[a-z0-9_]` and `[^…]`, `\d \w \s \D \W \S`, escaped punctuation (`\.` `\/` `\?`), `\t \n \r \xHH`,
// `^` and `$` (start and end of the text), groups `( )` and `(?: )`, `|`, and `* + ? {n} {n,} {n,m}`
// (a trailing `?` for laziness is accepted: it cannot change whether a text matches). A match anywhere
// counts, as with RE2's and JavaScript's `test`. `.` matches any byte; non-ASCII literals match their
// UTF-8 bytes. Not supported (refused, never misread): back-references, look-around, `\b`, flags,
// named groups, Unicode classes.

/** Bounds that keep the program small: the core matches in O(text × instructions). */
export const PATTERN_LIMITS = { maxSourceLength: 1024, maxRepeat: 100, maxInstructions: 2000 } as const;

/** Why a pattern was refused, and where (0-based offset in the pattern). */
export class PatternError extends Error {
  constructor(readonly reason: string, readonly offset: number) {
    super(`${reason} at offset ${offset}`);
    this.name = 'PatternError';
  }
}

const enum Op { Match = 0, Byte = 1, Any = 2, Class = 3, Split = 4, Jump = 5, Begin = 6, End = 7 }

type Node =
  | { t: 'byte'; b: number }
  | { t: 'any' }
  | { t: 'class'; set: Uint32Array }
  | { t: 'begin' }
  | { t: 'end' }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }; // max -1 = unbounded

const setOf = (pred: (b: number) => boolean): Uint32Array => {
  const s = new Uint32Array(8);
  for (let b = 0; b < 256; b++) if (pred(b)) s[b >> 5]! |= 1 << (b & 31);
  return s;
};
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isWord = (b: number): boolean => isDigit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const PERL_CLASSES: Record<string, (b: number) => boolean> = {
  d: isDigit, D: (b) => !isDigit(b), w: isWord, W: (b) => !isWord(b), s: isSpace, S: (b) => !isSpace(b),
};
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11 };

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) throw new PatternError('unmatched )', this.i);
    return node;
  }

  private alternation(): Node {
    const items = [this.concatenation()];
    while (this.src[this.i] === '|') {
      this.i++;
      items.push(this.concatenation());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const start = this.i;
      const atom = this.atom();
      items.push(this.repetition(atom, start));
    }
    return { t: 'cat', items };
  }

  private repetition(atom: Node, start: number): Node {
    const at = this.i;
    const c = this.src[this.i];
    let min: number, max: number;
    if (c === '*') [min, max] = [0, -1];
    else if (c === '+') [min, max] = [1, -1];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // not a repetition: `{` is a literal (RE2 reads it so too)
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > PATTERN_LIMITS.maxRepeat || max > PATTERN_LIMITS.maxRepeat) {
        throw new PatternError(`repeat count above ${PATTERN_LIMITS.maxRepeat}`, at);
      }
      if (max !== -1 && max < min) throw new PatternError('repeat range max below min', at);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy: same matches
    if (atom.t === 'begin' || atom.t === 'end' || this.src.slice(start, at) === '') {
      throw new PatternError('nothing to repeat', at);
    }
    const next = this.src[this.i];
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i)))) {
      throw new PatternError('repeat of a repeat', this.i);
    }
    return { t: 'rep', node: atom, min, max };
  }

  private atom(): Node {
    const at = this.i;
    const c = this.src[this.i++]!;
    switch (c) {
      case '.': return { t: 'any' };
      case '^': return { t: 'begin' };
      case '$': return { t: 'end' };
      case '*': case '+': case '?': throw new PatternError('nothing to repeat', at);
      case '(': {
        if (this.src[this.i] === '?') {
          if (this.src[this.i + 1] !== ':') throw new PatternError('unsupported group (only ( ) and (?: ))', at);
          this.i += 2;
        }
        const inner = this.alternation();
        if (this.src[this.i] !== ')') throw new PatternError('missing )', at);
        this.i++;
        return inner;
      }
      case '[': return { t: 'class', set: this.classBody(at) };
      case '\\': {
        const e = this.escape(false);
        return typeof e === 'number' ? { t: 'byte', b: e } : { t: 'class', set: e };
      }
      default: return this.literal(c, at);
    }
  }

  private literal(c: string, at: number): Node {
    let ch = c;
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff && this.i < this.src.length) ch += this.src[this.i++];
    if (code < 0x20 || code === 0x7f) throw new PatternError('control character (write it as \\xHH)', at);
    const bytes = new TextEncoder().encode(ch);
    if (bytes.length === 1) return { t: 'byte', b: bytes[0]! };
    return { t: 'cat', items: [...bytes].map((b) => ({ t: 'byte', b }) as Node) };
  }

  /** After a backslash: a byte, or a set for \d and the like (not allowed as a range end). */
  private escape(inClass: boolean): number | Uint32Array {
    const at = this.i - 1;
    const c = this.src[this.i++];
    if (c === undefined) throw new PatternError('trailing backslash', at);
    if (PERL_CLASSES[c]) return setOf(PERL_CLASSES[c]);
    if (CONTROL_ESCAPES[c] !== undefined) return CONTROL_ESCAPES[c];
    if (c === 'x') {
      const hex = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
      if (!hex) throw new PatternError('\\x needs two hex digits', at);
      this.i += 2;
      return parseInt(hex[0], 16);
    }
    const code = c.charCodeAt(0);
    if (code < 0x80 && !/[0-9A-Za-z]/.test(c)) return code; // escaped punctuation
    if (inClass && c === 'b') throw new PatternError('unsupported escape \\b', at);
    throw new PatternError(`unsupported escape \\${c}`, at);
  }

  private classBody(at: number): Uint32Array {
    const set = new Uint32Array(8);
    const add = (lo: number, hi: number): void => {
      for (let b = lo; b <= hi; b++) set[b >> 5]! |= 1 << (b & 31);
    };
    const negated = this.src[this.i] === '^';
    if (negated) this.i++;
    let first = true;
    for (;;) {
      if (this.i >= this.src.length) throw new PatternError('missing ]', at);
      const itemAt = this.i;
      let c = this.src[this.i++]!;
      if (c === ']' && !first) break;
      first = false;
      let lo: number;
      if (c === '\\') {
        const e = this.escape(true);
        if (typeof e !== 'number') {
          for (let k = 0; k < 8; k++) set[k]! |= e[k]!;
          continue;
        }
        lo = e;
      } else {
        lo = c.charCodeAt(0);
        if (lo >= 0x80) throw new PatternError('non-ASCII character in a class', itemAt);
        if (lo < 0x20 || lo === 0x7f) throw new PatternError('control character (write it as \\xHH)', itemAt);
        if (c === '[' && this.src[this.i] === ':') throw new PatternError('unsupported POSIX class', itemAt);
      }
      let hi = lo;
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        c = this.src[this.i++]!;
        if (c === '\\') {
          const e = this.escape(true);
          if (typeof e !== 'number') throw new PatternError('a class cannot end a range', itemAt);
          hi = e;
        } else {
          hi = c.charCodeAt(0);
          if (hi >= 0x80) throw new PatternError('non-ASCII character in a class', itemAt);
          if (hi < 0x20 || hi === 0x7f) throw new PatternError('control character (write it as \\xHH)', itemAt);
        }
        if (hi < lo) throw new PatternError('range out of order', itemAt);
      }
      add(lo, hi);
    }
    if (negated) for (let k = 0; k < 8; k++) set[k] = ~set[k]! >>> 0;
    return set;
  }
}

class Emitter {
  readonly insts: number[][] = [];
  readonly classes: Uint32Array[] = [];
  constructor(private readonly lowerCase: boolean) {}

  private push(op: Op, x = 0, y = 0): number {
    if (this.insts.length >= PATTERN_LIMITS.maxInstructions) {
      throw new PatternError(`pattern too large (more than ${PATTERN_LIMITS.maxInstructions} instructions)`, 0);
    }
    this.insts.push([op, x, y]);
    return this.insts.length - 1;
  }

  emit(n: Node): void {
    switch (n.t) {
      case 'byte': {
        const b = this.lowerCase && n.b >= 0x41 && n.b <= 0x5a ? n.b + 0x20 : n.b;
        this.push(Op.Byte, b);
        return;
      }
      case 'any': this.push(Op.Any); return;
      case 'begin': this.push(Op.Begin); return;
      case 'end': this.push(Op.End); return;
      case 'class': {
        const set = Uint32Array.from(n.set);
        if (this.lowerCase) {
          // The text is read lower-cased: an upper-case letter in the class stands for its lower case.
          for (let b = 0x41; b <= 0x5a; b++) if (set[b >> 5]! & (1 << (b & 31))) set[(b + 0x20) >> 5]! |= 1 << ((b + 0x20) & 31);
        }
        this.classes.push(set);
        this.push(Op.Class, this.classes.length - 1);
        return;
      }
      case 'cat': for (const item of n.items) this.emit(item); return;
      case 'alt': {
        const jumps: number[] = [];
        n.items.forEach((item, k) => {
          if (k < n.items.length - 1) {
            const split = this.push(Op.Split);
            this.insts[split]![1] = split + 1;
            this.emit(item);
            jumps.push(this.push(Op.Jump));
            this.insts[split]![2] = this.insts.length;
          } else {
            this.emit(item);
          }
        });
        for (const j of jumps) this.insts[j]![1] = this.insts.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) this.emit(n.node);
        if (n.max === -1) {
          const split = this.push(Op.Split);
          this.insts[split]![1] = split + 1;
          this.emit(n.node);
          this.push(Op.Jump, split);
          this.insts[split]![2] = this.insts.length;
          return;
        }
        const skips: number[] = [];
        for (let k = n.min; k < n.max; k++) {
          const split = this.push(Op.Split);
          this.insts[split]![1] = split + 1;
          skips.push(split);
          this.emit(n.node);
        }
        for (const s of skips) this.insts[s]![2] = this.insts.length;
        return;
      }
    }
  }
}

/**
 * Parses `source` and returns the core's program (u32 little-endian words: count, instructions,
 * classes). With `lowerCase`, the pattern is matched against lower-cased text (Host values) and its
 * letters stand for their lower case. Throws a PatternError.
 */
export function compilePattern(source: string, opts: { lowerCase?: boolean } = {}): Uint8Array {
  if (source.length === 0) throw new PatternError('empty pattern', 0);
  if (source.length > PATTERN_LIMITS.maxSourceLength) {
    throw new PatternError(`longer than ${PATTERN_LIMITS.maxSourceLength} characters`, PATTERN_LIMITS.maxSourceLength);
  }
  const ast = new Parser(source).parse();
  const e = new Emitter(opts.lowerCase ?? false);
  e.emit(ast);
  e.insts.push([Op.Match, 0, 0]);
  if (e.insts.length > PATTERN_LIMITS.maxInstructions) {
    throw new PatternError(`pattern too large (more than ${PATTERN_LIMITS.maxInstructions} instructions)`, 0);
  }
  const words = new Uint32Array(1 + 3 * e.insts.length + 8 * e.classes.length);
  words[0] = e.insts.length;
  e.insts.forEach((inst, k) => words.set(inst, 1 + 3 * k));
  e.classes.forEach((set, k) => words.set(set, 1 + 3 * e.insts.length + 8 * k));
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, k) => view.setUint32(4 * k, w, true));
  return out;
}
