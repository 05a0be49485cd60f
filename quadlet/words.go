package quadlet

import (
	"errors"
	"strings"
)

// SplitWords splits a value into words as systemd does for Exec= and
// list settings: whitespace separates, "..." and '...' quote, and a
// backslash escapes the next character (\n and \t are newline and tab).
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			switch s[i] {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			default:
				cur.WriteByte(s[i])
			}
			inWord = true
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '"' || ch == '\'':
			quote = ch
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// QuoteWord quotes w for an Exec= line so that systemd reads it back as
// one word; % specifiers and $ variables are left for systemd to expand.
func QuoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\n\"'\\;") {
		return w
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(w) + `"`
}

// JoinWords quotes and joins an argv for an Exec= line.
func JoinWords(argv []string) string {
	q := make([]string, len(argv))
	for i, w := range argv {
		q[i] = QuoteWord(w)
	}
	return strings.Join(q, " ")
}
