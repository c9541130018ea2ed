package faultsbench

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The proxy forwards, cuts every connection and refuses new ones, and
// forwards again once healed.
func TestProxyCutAndHeal(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	p, err := newProxy(echo.Addr().String())
	require.NoError(t, err)
	defer p.close()
	roundTrip := func(c net.Conn) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		_, err := io.ReadFull(c, buf)
		return err
	}
	c, err := net.Dial("tcp", p.addr())
	require.NoError(t, err)
	require.NoError(t, roundTrip(c))
	p.setCut(true)
	assert.Error(t, roundTrip(c), "an open connection is cut")
	if c2, err := net.Dial("tcp", p.addr()); err == nil {
		assert.Error(t, roundTrip(c2), "new connections are refused while cut")
		c2.Close()
	}
	p.setCut(false)
	c3, err := net.Dial("tcp", p.addr())
	require.NoError(t, err)
	defer c3.Close()
	assert.NoError(t, roundTrip(c3))
}

func TestParseOptionsQuick(t *testing.T) {
	o, err := ParseOptions([]string{"--quick"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, quickRows, o.Rows)
	assert.Zero(t, o.Soak)
	assert.Equal(t, 5*time.Second, o.AckWait)
	o, err = ParseOptions([]string{"--quick", "--rows", "429-storm", "--ack-wait", "7s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"429-storm"}, o.Rows)
	assert.Equal(t, 7*time.Second, o.AckWait)
	_, err = ParseOptions([]string{"--rows", "meteor-strike"}, io.Discard)
	assert.Error(t, err)
}
