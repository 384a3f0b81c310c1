package seed

// appendTime appends the UTC time ms milliseconds after the Unix epoch as
// userport.FormatTime writes it ("2006-01-02T15:04:05.000Z"), for years 0 to
// 9999, several times faster than time.Time.Format.
func appendTime(b []byte, ms int64) []byte {
	days, rem := ms/86_400_000, ms%86_400_000
	if rem < 0 {
		days, rem = days-1, rem+86_400_000
	}
	b = appendDay(b, days)
	b = append(b, 'T')
	b = append2(b, rem/3_600_000)
	b = append(b, ':')
	b = append2(b, rem/60_000%60)
	b = append(b, ':')
	b = append2(b, rem/1000%60)
	b = append(b, '.')
	b = append(b, byte('0'+rem%1000/100), byte('0'+rem%100/10), byte('0'+rem%10))
	return append(b, 'Z')
}

// appendDay appends the date of the day days after 1970-01-01 as YYYY-MM-DD,
// computed as in Howard Hinnant's civil_from_days.
func appendDay(b []byte, days int64) []byte {
	z := days + 719_468
	era := z / 146_097
	if z < 0 && z%146_097 != 0 {
		era--
	}
	doe := z - era*146_097
	yoe := (doe - doe/1460 + doe/36_524 - doe/146_096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// append2 appends v, in [0, 100), as two digits.
func append2(b []byte, v int64) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}
