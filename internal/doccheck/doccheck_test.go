// Package doccheck holds a test that every exported identifier of the
// module's public packages has a doc comment.
package doccheck

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// root is the module root, relative to this package's directory.
const root = "../.."

// skipped are directories whose packages are not public API.
var skipped = map[string]bool{"internal": true, "testdata": true, "node_modules": true, "demo": true, "tools": true}

func TestExportedIdentifiersAreDocumented(t *testing.T) {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if skipped[d.Name()] || strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		for _, problem := range undocumented(t, path) {
			t.Error(problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// undocumented lists the exported identifiers without a doc comment in the
// non-test Go files of dir.
func undocumented(t *testing.T, dir string) []string {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		t.Fatalf("parsing %s: %v", dir, err)
	}
	var out []string
	report := func(pos token.Pos, what string) {
		p := fset.Position(pos)
		rel, _ := filepath.Rel(root, p.Filename)
		out = append(out, rel+":"+strconv.Itoa(p.Line)+": "+what+" has no doc comment")
	}
	for _, pkg := range pkgs {
		if pkg.Name == "main" {
			continue
		}
		dp := doc.New(pkg, dir, 0)
		if dp.Doc == "" {
			out = append(out, dir+": package "+pkg.Name+" has no package doc")
		}
		for _, f := range dp.Funcs {
			if f.Doc == "" {
				report(f.Decl.Pos(), "func "+f.Name)
			}
		}
		checkValues := func(vs []*doc.Value) {
			for _, v := range vs {
				if v.Doc != "" {
					continue
				}
				for _, s := range v.Decl.Specs {
					vs := s.(*ast.ValueSpec)
					if vs.Doc == nil && vs.Comment == nil {
						report(vs.Pos(), "value "+vs.Names[0].Name)
					}
				}
			}
		}
		checkValues(dp.Consts)
		checkValues(dp.Vars)
		for _, ty := range dp.Types {
			if ty.Doc == "" {
				report(ty.Decl.Pos(), "type "+ty.Name)
			}
			checkValues(ty.Consts)
			checkValues(ty.Vars)
			for _, f := range append(ty.Funcs, ty.Methods...) {
				if f.Doc == "" {
					report(f.Decl.Pos(), "func "+ty.Name+"."+f.Name)
				}
			}
			for _, s := range ty.Decl.Specs {
				checkFields(fset, s.(*ast.TypeSpec), func(pos token.Pos, name string) { report(pos, ty.Name+"."+name) })
			}
		}
	}
	return out
}

// checkFields reports the exported fields of a struct type and the methods
// of an interface type that have neither a doc comment nor a line comment.
// A field on the line right after a documented one shares its comment, as
// in "// Min and Max bound the range." above two fields.
func checkFields(fset *token.FileSet, ts *ast.TypeSpec, report func(token.Pos, string)) {
	var list *ast.FieldList
	switch t := ts.Type.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list = t.Methods
	default:
		return
	}
	groupEnd := -1 // the last line of the current documented group
	for _, f := range list.List {
		line := fset.Position(f.Pos()).Line
		switch {
		case f.Doc != nil:
			groupEnd = fset.Position(f.End()).Line
			continue
		case f.Comment != nil:
			groupEnd = -1
			continue
		case line == groupEnd+1:
			groupEnd = line
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() {
				report(n.Pos(), n.Name)
			}
		}
	}
}
