package jobfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// utf8BOM is skipped at the start of a file (spreadsheet exports write it).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ErrUTF16 is returned for a file that starts with a UTF-16 byte order mark.
var ErrUTF16 = errors.New("the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8")

// skipBOM consumes a UTF-8 byte order mark and refuses UTF-16 files.
func skipBOM(r *bufio.Reader) error {
	head, err := r.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read job file: %w", err)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = r.Discard(len(utf8BOM))
		return nil
	}
	if len(head) >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)) {
		return ErrUTF16
	}
	return nil
}

// notUTF8 is the reason given for a line that is not valid UTF-8.
const notUTF8 = "not valid UTF-8 (is the file in GBK or another encoding? save it as UTF-8)"
