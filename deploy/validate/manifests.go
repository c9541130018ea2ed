package validate

import (
	"fmt"
	"path/filepath"
	"slices"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// Manifests are the objects of a kustomization directory, each decoded
// strictly into its typed API struct.
type Manifests struct {
	Kustomization Kustomization
	Deployments   []appsv1.Deployment
	ConfigMaps    []corev1.ConfigMap
	Secrets       []corev1.Secret
	PDBs          []policyv1.PodDisruptionBudget
	ScaledObjects []kedav1alpha1.ScaledObject
}

// Kustomization is the part of kustomize's Kustomization type that
// deploy/k8s uses. It is a local struct (decoded strictly, so a field
// outside this subset is an error to look at) rather than
// sigs.k8s.io/kustomize/api/types, to keep that module out.
type Kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
}

// LoadManifests decodes every resource listed in dir/kustomization.yaml.
// A kind it does not know is an error, and so is a YAML file in dir that is
// neither listed nor named in extra (files that are not manifests, such as
// Helm values).
func LoadManifests(dir string, extra ...string) (*Manifests, error) {
	var m Manifests
	kdocs, err := ReadDocuments(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if len(kdocs) != 1 {
		return nil, fmt.Errorf("kustomization.yaml: want one document, got %d", len(kdocs))
	}
	if err := DecodeStrict(kdocs[0], &m.Kustomization); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list manifests: %w", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if name != "kustomization.yaml" && !slices.Contains(m.Kustomization.Resources, name) && !slices.Contains(extra, name) {
			return nil, fmt.Errorf("%s is not listed in kustomization.yaml", name)
		}
	}
	for _, name := range m.Kustomization.Resources {
		docs, err := ReadDocuments(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			return nil, fmt.Errorf("%s: no object", name)
		}
		for _, d := range docs {
			if err := m.add(d); err != nil {
				return nil, err
			}
		}
	}
	return &m, nil
}

// add decodes d into the slice of its kind.
func (m *Manifests) add(d Document) error {
	switch d.GVK {
	case appsv1.SchemeGroupVersion.WithKind("Deployment"):
		return decodeAppend(d, &m.Deployments)
	case corev1.SchemeGroupVersion.WithKind("ConfigMap"):
		return decodeAppend(d, &m.ConfigMaps)
	case corev1.SchemeGroupVersion.WithKind("Secret"):
		return decodeAppend(d, &m.Secrets)
	case policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"):
		return decodeAppend(d, &m.PDBs)
	case kedav1alpha1.SchemeGroupVersion.WithKind("ScaledObject"):
		return decodeAppend(d, &m.ScaledObjects)
	}
	return fmt.Errorf("%s: document %d: unexpected kind %s", d.File, d.Index, d.GVK)
}

func decodeAppend[T any](d Document, list *[]T) error {
	var v T
	if err := DecodeStrict(d, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}
