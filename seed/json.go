package seed

import "strconv"

const hexDigits = "0123456789abcdef"

// plain marks the bytes that a JSON string holds as they are. Bytes of
// multi-byte UTF-8 sequences are plain, except 0xE2, which starts U+2028 and
// U+2029, which encoding/json escapes.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != 0xE2
	}
	return t
}()

// appendString appends s as a JSON string, escaped exactly as an encoding/json
// Encoder with SetEscapeHTML(false) escapes it (as userport.UserFromProfile
// does), so that the encoder passes the metadata documents through unchanged.
// s must be valid UTF-8: the generator only writes its own constant texts.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		for i+8 <= len(s) && !special8(s[i:i+8]) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if plain[c] {
			continue
		}
		if c == 0xE2 {
			if i+2 >= len(s) || s[i+1] != 0x80 || s[i+2]&^1 != 0xA8 {
				continue // another character starting with 0xE2
			}
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[s[i+2]&^0xA0])
			i += 2
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscaped(b, c)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// appendPlain appends s in quotes, as it is: for texts that need no escaping,
// which the tests check for every list of constants passed here.
func appendPlain(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendPlainField appends `"key":"value"` after a comma, value unescaped.
func appendPlainField(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = appendKey(b, key)
	return appendPlain(b, value)
}

// appendKey appends `"key":`; keys are plain ASCII that needs no escaping.
func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendField appends `"key":"value"` after a comma.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = appendKey(b, key)
	return appendString(b, value)
}

func appendBool(b []byte, v bool) []byte {
	return strconv.AppendBool(b, v)
}

// special8 reports whether any of the 8 bytes of s is not plain, testing them
// at once as one 64-bit word (Mycroft's "has zero byte" trick).
func special8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	_ = s[7]
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	control := (x - ones*0x20) & ^x & highs // bytes below 0x20
	return control|zero(x^(ones*'"'))|zero(x^(ones*'\\'))|zero(x^(ones*0xE2)) != 0
}
