package client

import (
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
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

// Unknown lists the fields whose root is not an attribute of a user's
// profile (userport.ProfileAttribute): a misspelling, most likely, whose
// column would stay empty. The API takes them, as Auth0 does. A path that
// does not parse is left to the server to refuse.
func (l Fields) Unknown() []string {
	var unknown []string
	for _, f := range l {
		p, err := fieldpath.Parse(f.Name)
		if err != nil {
			continue
		}
		if _, ok := userport.ProfileAttribute(p.Root()); !ok {
			unknown = append(unknown, f.Name)
		}
	}
	return unknown
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
