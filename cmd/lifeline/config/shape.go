package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-aid/lifeline/triage"
)

// goTypes matches the Go type names in yaml.v3's messages ("into int",
// "in type config.Config"), which mean nothing to the people writing the
// file.
var goTypes = regexp.MustCompile(`( into| in type) [\w.\[\]*]+`)

var (
	durationType = reflect.TypeFor[Duration]()
	unmarshaler  = reflect.TypeFor[yaml.Unmarshaler]()
)

// checkShape walks the document along t, the struct it will decode into,
// and reports every unknown key (with the nearest known one) and every
// value of the wrong kind, each named by its key path. It records the
// paths present in the file.
func checkShape(n *yaml.Node, t reflect.Type, path string, present map[string]bool) error {
	var errs []error
	budget := maxNodes
	walkShape(n, t, path, present, &errs, 0, &budget)
	if budget < 0 {
		return errors.New("the file is too large, or its aliases (*name) repeat too much")
	}
	return errors.Join(errs...)
}

// maxDepth and maxNodes stop documents whose aliases point back into
// themselves or multiply (a "billion laughs"); a real config has a few
// hundred nodes.
const (
	maxDepth = 32
	maxNodes = 100_000
)

func walkShape(n *yaml.Node, t reflect.Type, path string, present map[string]bool, errs *[]error, depth int, budget *int) {
	if *budget--; *budget < 0 {
		return
	}
	bad := func(format string, args ...any) {
		key := path
		if key == "" {
			key = "(top level)"
		}
		*errs = append(*errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if depth > maxDepth {
		bad("nested too deeply")
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value keeps the default
	}
	if path != "" {
		present[path] = true
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		if n.Kind != yaml.ScalarNode {
			bad("want %s, not %s", describe(t), nodeKind(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			bad("%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad("want keys (%s), not %s", strings.Join(fieldNames(t), ", "), nodeKind(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			p := k
			if path != "" {
				p = path + "." + k
			}
			if k == "<<" { // a YAML merge key: its mapping's keys belong here
				merged := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					merged = v.Content
				}
				for _, m := range merged {
					walkShape(m, t, path, present, errs, depth+1, budget)
				}
				continue
			}
			f, ok := fields[k]
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s: unknown key%s", p, suggest(k, path, t)))
				continue
			}
			walkShape(v, f.Type, p, present, errs, depth+1, budget)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad("want keys, not %s", nodeKind(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkShape(v, t.Elem(), p, present, errs, depth+1, budget)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad("want a list ([…] or lines starting with -), not %s", nodeKind(n))
			return
		}
		for i, item := range n.Content {
			walkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), present, errs, depth+1, budget)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			bad("want %s, not %s", describe(t), nodeKind(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			bad("%q is not %s", n.Value, describe(t))
		}
	}
}

// describe names what a value of type t looks like in the file.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration (like 90s, 30m, 2h)"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "text"
	}
	return "a single value"
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// yamlFields maps the yaml key of each decoded field of struct t.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			// An inline struct's keys sit at this level of the file.
			maps.Copy(out, yamlFields(f.Type))
			continue
		}
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out[name] = f
	}
	return out
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for k := range yamlFields(t) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the known key nearest to an unknown one: a close spelling
// at the same level, or the same name at another level of the file.
func suggest(key, path string, t reflect.Type) string {
	best, bestD := "", 1<<30
	for _, k := range fieldNames(t) {
		if d := triage.EditDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(1, len(key)/3) {
		if path != "" {
			best = path + "." + best
		}
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	var elsewhere []string
	knownPaths(reflect.TypeFor[Config](), "", func(p, leaf string) {
		if leaf == key && p != path+"."+key {
			elsewhere = append(elsewhere, p)
		}
	})
	if len(elsewhere) > 0 {
		sort.Strings(elsewhere)
		return fmt.Sprintf(" here (did you mean %s?)", strings.Join(elsewhere, " or "))
	}
	if len(fieldNames(t)) > 0 {
		return fmt.Sprintf(" (known keys here: %s)", strings.Join(fieldNames(t), ", "))
	}
	return ""
}

// knownPaths calls fn with every key path of t and its last key; list
// elements are written [].
func knownPaths(t reflect.Type, path string, fn func(path, leaf string)) {
	switch t.Kind() {
	case reflect.Slice:
		knownPaths(t.Elem(), path+"[]", fn)
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshaler) {
			return
		}
		for name, f := range yamlFields(t) {
			p := name
			if path != "" {
				p = path + "." + name
			}
			fn(p, name)
			knownPaths(f.Type, p, fn)
		}
	}
}
