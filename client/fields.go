package client

import (
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/userport/userport"
)

// Fields are the fields of an export, as a command line gives them: a
// flag.Value each of whose values is PATH or PATH=EXPORT_AS.
type Fields []userport.Field

// String lists the fields as given.
func (l *Fields) String() string {
	var s []string
	for _, f := range *l {
		if f.ExportAs != "" {
			s = append(s, f.Name+"="+f.ExportAs)
		} else {
			s = append(s, f.Name)
		}
	}
	return strings.Join(s, ",")
}

// Set adds a field: PATH or PATH=EXPORT_AS.
func (l *Fields) Set(v string) error {
	name, as, _ := strings.Cut(v, "=")
	if name == "" {
		return errors.New("want PATH or PATH=EXPORT_AS")
	}
	*l = append(*l, userport.Field{Name: name, ExportAs: as})
	return nil
}

// ExportFileName is the name an export's file is saved as: the name in its
// download link (location), less its .gz when gunzip'd.
func ExportFileName(location string, gunzip bool) string {
	name := "export.gz"
	if u, err := url.Parse(location); err == nil && path.Base(u.Path) != "." && path.Base(u.Path) != "/" {
		name = path.Base(u.Path)
	}
	if gunzip {
		name = strings.TrimSuffix(name, ".gz")
	}
	return name
}
