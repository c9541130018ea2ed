package validate

import (
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerfile parses deploy/Dockerfile with BuildKit's own parser and
// checks the image is multi-stage, builds the three commands statically
// and runs them as a non-root user on a minimal base.
func TestDockerfile(t *testing.T) {
	joined := checkImage(t, "../Dockerfile", "gcr.io/distroless/static")
	assert.Contains(t, joined, "CGO_ENABLED=0", "static binaries")
	assert.NotContains(t, joined, "-tags", "the default image signs in pure Go")
}

// TestDockerfileOpenSSL checks the opt-in image: the worker built with cgo
// and the openssl tag against Debian 12's libssl-dev, on distroless base
// of the same Debian release (glibc and libssl3), the other two commands
// still static, non-root.
func TestDockerfileOpenSSL(t *testing.T) {
	joined := checkImage(t, "../Dockerfile.openssl", "gcr.io/distroless/base-debian12")
	assert.Contains(t, joined, "libssl-dev")
	assert.Contains(t, joined, "CGO_ENABLED=1 GOOS=linux go build -tags openssl")
	assert.Contains(t, joined, "CGO_ENABLED=0 GOOS=linux go build", "enqueue and sandbox stay static")
	_, err := os.Stat("../Dockerfile.openssl.dockerignore")
	assert.NoError(t, err, "its own build context filter")
}

// checkImage parses a Dockerfile and checks what every couponq image must
// be: multi-stage, builds the three commands, a final stage on finalBase
// (or scratch) without RUN, non-root, the worker as exec-form entrypoint.
// It returns the build stages' RUN lines, joined.
func checkImage(t *testing.T, path, finalBase string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	ast, err := parser.Parse(f)
	require.NoError(t, err)
	stages, _, err := instructions.Parse(ast.AST, nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage")

	var build []string
	for _, s := range stages[:len(stages)-1] {
		for _, c := range s.Commands {
			if run, ok := c.(*instructions.RunCommand); ok {
				build = append(build, strings.Join(run.CmdLine, " "))
			}
		}
	}
	joined := strings.Join(build, "\n")
	for _, cmd := range []string{"./cmd/worker", "./cmd/enqueue", "./cmd/sandbox"} {
		assert.Contains(t, joined, cmd)
	}

	final := stages[len(stages)-1]
	assert.True(t, final.BaseName == "scratch" || strings.HasPrefix(final.BaseName, finalBase),
		"minimal base, got %s", final.BaseName)
	var user string
	var entrypoint []string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entrypoint = c.CmdLine
			assert.False(t, c.PrependShell, "exec form: the worker gets SIGTERM itself (there is no shell anyway)")
		case *instructions.RunCommand:
			t.Errorf("RUN in the final stage: the base has no shell: %v", c.CmdLine)
		}
	}
	require.NotEmpty(t, user, "USER is set")
	uid, _, _ := strings.Cut(user, ":")
	assert.NotContains(t, []string{"0", "root"}, uid, "non-root user")
	assert.Equal(t, []string{"/usr/local/bin/worker"}, entrypoint)
	return joined
}
