package githubapi

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliasDepth bounds how many aliases ParseWorkflowTrigger follows in a
// row: workflow files may use anchors, and a hostile one must not loop.
const maxAliasDepth = 8

// ParseWorkflowTrigger reads a GitHub Actions workflow file and reports
// whether its on: key declares workflow_dispatch, and with which inputs.
// The on: key takes three forms, all accepted:
//
//	on: workflow_dispatch                 # one event
//	on: [push, workflow_dispatch]         # a list of events
//	on:                                   # a mapping of events
//	  workflow_dispatch:
//	    inputs:
//	      reason: {required: true, default: rotate, type: string}
//
// The file comes from a repository, so it is treated as hostile: anything
// that is not a workflow is an error saying what is wrong, never a panic.
func ParseWorkflowTrigger(src []byte) (DispatchTrigger, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return DispatchTrigger{}, fmt.Errorf("the workflow file is not valid YAML: %v", oneLine(err))
	}
	root := deref(&doc, 0)
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = deref(root.Content[0], 0)
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return DispatchTrigger{}, errors.New("the workflow file is not a YAML mapping, so it is not a workflow")
	}
	on := lookup(root, "on")
	if on == nil {
		// YAML 1.1 tools may have written the key as true.
		on = lookup(root, "true")
	}
	if on == nil {
		return DispatchTrigger{}, errors.New("the workflow file has no on: key, so nothing triggers it")
	}
	var tr DispatchTrigger
	switch on.Kind {
	case yaml.ScalarNode:
		tr.Dispatch = on.Value == "workflow_dispatch"
	case yaml.SequenceNode:
		for _, ev := range on.Content {
			if ev = deref(ev, 0); ev != nil && ev.Kind == yaml.ScalarNode && ev.Value == "workflow_dispatch" {
				tr.Dispatch = true
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(on.Content); i += 2 {
			if k := deref(on.Content[i], 0); k == nil || k.Kind != yaml.ScalarNode || k.Value != "workflow_dispatch" {
				continue
			}
			tr.Dispatch = true
			inputs, err := dispatchInputs(deref(on.Content[i+1], 0))
			if err != nil {
				return DispatchTrigger{}, err
			}
			tr.Inputs = inputs
		}
	default:
		return DispatchTrigger{}, errors.New("the workflow file's on: is neither an event, a list of events nor a mapping of events")
	}
	return tr, nil
}

// dispatchInputs reads the value of workflow_dispatch: null (no inputs), or
// a mapping whose inputs: maps names to their settings.
func dispatchInputs(n *yaml.Node) ([]WorkflowInput, error) {
	if n == nil || n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("the workflow file's on.workflow_dispatch is not a mapping")
	}
	in := lookup(n, "inputs")
	if in == nil || in.Kind == yaml.ScalarNode && (in.Tag == "!!null" || in.Value == "") {
		return nil, nil
	}
	if in.Kind != yaml.MappingNode {
		return nil, errors.New("the workflow file's on.workflow_dispatch.inputs is not a mapping of input names")
	}
	var out []WorkflowInput
	for i := 0; i+1 < len(in.Content); i += 2 {
		k := deref(in.Content[i], 0)
		if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, errors.New("the workflow file's on.workflow_dispatch.inputs has a key that is not an input name")
		}
		wi := WorkflowInput{Name: k.Value}
		v := deref(in.Content[i+1], 0)
		switch {
		case v == nil || v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == ""):
		case v.Kind == yaml.MappingNode:
			if r := lookup(v, "required"); r != nil && r.Kind == yaml.ScalarNode {
				switch strings.ToLower(r.Value) {
				case "true":
					wi.Required = true
				case "false", "":
				default:
					return nil, fmt.Errorf("the workflow file's input %q has required: %q, which is not true or false", wi.Name, r.Value)
				}
			}
			if d := lookup(v, "default"); d != nil && d.Kind == yaml.ScalarNode && d.Tag != "!!null" {
				wi.Default, wi.HasDefault = d.Value, true
			}
			if t := lookup(v, "type"); t != nil && t.Kind == yaml.ScalarNode {
				wi.Type = t.Value
			}
		default:
			return nil, fmt.Errorf("the workflow file's input %q is not a mapping of settings", wi.Name)
		}
		out = append(out, wi)
	}
	return out, nil
}

// lookup returns the value of key in mapping m (following aliases), or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := deref(m.Content[i], 0); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return deref(m.Content[i+1], 0)
		}
	}
	return nil
}

// deref follows aliases to the node they name, giving up (nil) on chains
// longer than maxAliasDepth.
func deref(n *yaml.Node, depth int) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if depth >= maxAliasDepth {
			return nil
		}
		n, depth = n.Alias, depth+1
	}
	return n
}

// oneLine is err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
