package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// MaxBodyBytes bounds a request body. A job of 10,000 files with presigned
// URLs of about 600 bytes each fits with room to spare.
const MaxBodyBytes = 8 << 20

// MaxURLBytes bounds a file's URL, on PUT …/url as on POST /v1/jobs (the
// engine's limit): a presigned URL is well under 2 KiB.
const MaxURLBytes = 16 << 10

// maxURLBody bounds the body of PUT …/url: one URL and its JSON.
const maxURLBody = MaxURLBytes + 1<<10

// decodeStrict decodes exactly one JSON object from data into v. It refuses
// what encoding/json would let pass: unknown fields, trailing data, and
// (through checkKeys) keys in another case or given twice. Errors are 400s
// whose message names the field.
func decodeStrict(data []byte, v any, known map[string]bool) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return invalid("the request body is empty; send a JSON object")
	case trimmed[0] != '{':
		return invalid("the request body must be a JSON object")
	}
	// Keys first: their errors name the path ("files[2]: unknown field
	// \"URL\""), which encoding/json's do not.
	if err := checkKeys(data, known); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("the request body holds more than one JSON value; send exactly one object")
	}
	return nil
}

// describeJSONError turns a decoding error into a sentence naming the field.
func describeJSONError(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid("the request body is not valid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("the request body must be a JSON object")
		}
		return invalid("%s: must be %s, not a JSON %s", typ.Field, kindName(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("the request body ends in the middle of a JSON value")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this one.
		return invalid("unknown field %s; see API.md for the fields this endpoint takes",
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return invalid("the request body is not valid JSON: %v", err)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// maxJSONDepth is the deepest nesting a request needs: a job object, its
// files list, a file object.
const maxJSONDepth = 3

// checkKeys walks a JSON document and refuses what encoding/json would let
// pass: a key that is not one of the known ones in exactly this case
// ("Name" would fill name), a key given twice (the last would silently
// win), and nesting deeper than any request needs (which would cost memory
// before anything else is checked). Syntax errors are reported too.
func checkKeys(data []byte, known map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return describeJSONError(err)
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.wantKey {
			if err := top.key(key, known); err != nil {
				return err
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return invalid("%sthe request body nests deeper than any field allows", prefix(top.path))
			}
			stack = append(stack, top.child(tok == json.Delim('{')))
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].valueDone()
			}
		default:
			top.valueDone()
		}
	}
}

// jsonFrame is one open object or array in checkKeys' walk.
type jsonFrame struct {
	path    string // "", "files[2]", …
	object  bool
	wantKey bool            // objects: the next token is a key
	seen    map[string]bool // objects: keys so far
	last    string          // objects: the key whose value comes next
	index   int             // arrays: the element that comes next
}

func (f *jsonFrame) child(object bool) *jsonFrame {
	c := &jsonFrame{object: object, wantKey: object}
	if object {
		c.seen = map[string]bool{}
	}
	switch {
	case f == nil:
	case f.object:
		c.path = joinPath(f.path, f.last)
	default:
		c.path = fmt.Sprintf("%s[%d]", f.path, f.index)
	}
	return c
}

func (f *jsonFrame) key(k string, known map[string]bool) error {
	switch {
	case !known[k]:
		return invalid("%sunknown field %q; see API.md for the fields this endpoint takes", prefix(f.path), k)
	case f.seen[k]:
		return invalid("%sthe field %q is given twice", prefix(f.path), k)
	}
	f.seen[k], f.last, f.wantKey = true, k, false
	return nil
}

func (f *jsonFrame) valueDone() {
	if f == nil {
		return
	}
	if f.object {
		f.wantKey = true
	} else {
		f.index++
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}
