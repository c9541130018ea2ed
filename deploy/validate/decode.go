package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one YAML document of a manifest file.
type Document struct {
	// File and Index say where it came from, for messages.
	File  string
	Index int
	// GVK is the document's apiVersion and kind.
	GVK schema.GroupVersionKind
	// JSON is the document converted to JSON.
	JSON []byte
}

// ReadDocuments splits the multi-document YAML file at path into its
// non-empty documents. Duplicate keys are errors.
func ReadDocuments(path string) ([]Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Document
	for i := 0; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		js, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // comments only
		}
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &tm); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		gv, err := schema.ParseGroupVersion(tm.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: apiVersion: %w", path, i, err)
		}
		docs = append(docs, Document{File: path, Index: i, GVK: gv.WithKind(tm.Kind), JSON: js})
	}
}

// DecodeStrict decodes d into out, refusing fields out's type does not have
// and trailing data.
func DecodeStrict(d Document, out any) error {
	dec := json.NewDecoder(bytes.NewReader(d.JSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s: document %d (%s): %w", d.File, d.Index, d.GVK.Kind, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: document %d: trailing data", d.File, d.Index)
	}
	return nil
}
