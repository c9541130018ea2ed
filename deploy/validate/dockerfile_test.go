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
	f, err := os.Open("../Dockerfile")
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
	assert.Contains(t, joined, "CGO_ENABLED=0", "static binaries")
	for _, cmd := range []string{"./cmd/worker", "./cmd/enqueue", "./cmd/sandbox"} {
		assert.Contains(t, joined, cmd)
	}

	final := stages[len(stages)-1]
	assert.True(t, final.BaseName == "scratch" || strings.HasPrefix(final.BaseName, "gcr.io/distroless/static"),
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
}
