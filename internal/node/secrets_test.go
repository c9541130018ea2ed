package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestWarnsAboutKeyFilesOthersCanRead(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	log := zap.New(core)
	dir := t.TempDir()
	private := filepath.Join(dir, "private.pem")
	shared := filepath.Join(dir, "shared.pem")
	require.NoError(t, os.WriteFile(private, []byte("PRIVATE-KEY-BYTES"), 0o600))
	require.NoError(t, os.WriteFile(shared, []byte("PRIVATE-KEY-BYTES"), 0o644))
	warnIfReadableByOthers(log, "k", private)
	require.Zero(t, logs.Len())
	warnIfReadableByOthers(log, "k", shared)
	require.Equal(t, 1, logs.Len())
	e := logs.All()[0]
	require.Equal(t, shared, e.ContextMap()["file"])
	require.NotContains(t, e.Message+e.ContextMap()["mode"].(string), "PRIVATE-KEY-BYTES", "never the content")
}
