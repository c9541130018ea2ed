package config

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`line (\d+): `)

// nameKeys rewrites yaml's "line N: ..." messages to also name the key on
// that line ("line 2 (retry.ack_wait): ..."), so a bad value is easy to find.
func nameKeys(data []byte, msg string) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return msg
	}
	paths := map[int]string{}
	walkKeys(&root, "", paths)
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		if err != nil || paths[n] == "" {
			return m
		}
		return fmt.Sprintf("line %d (%s): ", n, paths[n])
	})
}

// walkKeys records the dotted path of every mapping key by its line.
func walkKeys(n *yaml.Node, prefix string, into map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkKeys(c, prefix, into)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			into[k.Line] = path
			walkKeys(v, path, into)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkKeys(c, fmt.Sprintf("%s[%d]", prefix, i), into)
		}
	}
}
