// What counts as nothing in a post: the server's rule (wall/services.py is_blank), held equal by tests/test_text.py.

// Controls, format characters and separators by Unicode category, plus the letters and symbols that
// render blank or only pick a variant of a neighbour (Hangul fillers, braille blank, variation selectors).
const BLANK =
  /^[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}\u034F\u115F-\u1160\u17B4-\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]*$/u;

/** True when `text` would show nothing on the wall: the server refuses it as `empty`. */
export function isBlank(text) {
  return BLANK.test(text);
}
