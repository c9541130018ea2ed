package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

const dlqUsage = `usage: couponq dlq list|show|replay|purge [flags]

  list              counts by type, code and class, then the newest entries
  show SEQ|ID       one dead letter in full
  replay [SEQ...]   republish as jobs (same id and request number: never applied twice)
  purge [SEQ...]    delete

list, replay and purge select with the same flags (--type, --code, --class,
--all, --id, --campaign, SEQ...). By default they select the dead letters that
need an operator (class operational: RETRIES_EXHAUSTED, RESPONSE_UNVERIFIED,
INVALID_JOB, ...); --class rejected selects the API's final business answers
(NOT_FOUND, RESOURCE_ALREADY_EXISTS, NOT_ENOUGH, ...), --all both.
`

func runDLQ(ctx context.Context, args []string, env *adminEnv) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, dlqUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runDLQList(ctx, args[1:], env)
	case "show":
		return runDLQShow(ctx, args[1:], env)
	case "replay":
		return runDLQReplay(ctx, args[1:], env)
	case "purge":
		return runDLQPurge(ctx, args[1:], env)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.stdout, dlqUsage)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "couponq dlq: unknown subcommand %q\n\n%s", args[0], dlqUsage)
	return exitUsage
}

// dlqSelection is the filter flags shared by list, replay and purge.
type dlqSelection struct {
	types, codes, ids listFlag
	class, campaign   string
	all               bool
}

func (s *dlqSelection) register(fs *flag.FlagSet) {
	fs.Var(&s.types, "type", "job type (repeat or comma-separate for several)")
	fs.Var(&s.codes, "code", "error code, e.g. RETRIES_EXHAUSTED (repeat or comma-separate)")
	fs.Var(&s.ids, "id", "job id (repeat or comma-separate)")
	fs.StringVar(&s.class, "class", jobs.ClassOperational, "operational (needs an operator) or rejected (a final business answer of the API)")
	fs.BoolVar(&s.all, "all", false, "every class")
	fs.StringVar(&s.campaign, "campaign", "", "campaign id (meta.campaign of the job)")
}

// filter builds the selection; args are dead-letter sequences.
func (s *dlqSelection) filter(args []string) (admin.DeadLetterFilter, error) {
	f := admin.DeadLetterFilter{Types: s.types, Codes: s.codes, IDs: s.ids, Campaign: s.campaign, Class: s.class}
	switch {
	case s.all:
		f.Class = ""
	case s.class != jobs.ClassOperational && s.class != jobs.ClassRejected:
		return f, fmt.Errorf("--class must be %s or %s, got %q", jobs.ClassOperational, jobs.ClassRejected, s.class)
	}
	for _, a := range args {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil || n == 0 {
			return f, fmt.Errorf("%q is not a dead-letter sequence number (see 'couponq dlq list')", a)
		}
		f.Seqs = append(f.Seqs, n)
	}
	if len(f.Seqs) > 0 && !classGiven(s) {
		f.Class = "" // named one by one: whatever their class
	}
	return f, nil
}

// classGiven: --class or --all was on the command line (not the default).
func classGiven(s *dlqSelection) bool { return s.all || s.class != jobs.ClassOperational }

// narrowed reports whether any selecting flag or sequence was given.
func (s *dlqSelection) narrowed(args []string) bool {
	return len(s.types)+len(s.codes)+len(s.ids)+len(args) > 0 || s.campaign != "" || classGiven(s)
}

func runDLQList(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("dlq list", "dlq list [--type T] [--code C] [--class operational|rejected | --all] [--id ID] [--campaign C] [SEQ...]", env)
	var sel dlqSelection
	sel.register(fs)
	limit := fs.Int("limit", 20, "entries to list after the counts (newest first); 0 for none, -1 for all")
	asJSON := fs.Bool("json", false, "print every selected dead letter as a JSON line instead")
	if code, ok := parseFlags(fs, args, 0, -1); !ok {
		return code
	}
	f, err := sel.filter(fs.Args())
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitUsage
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	var list []*admin.DeadLetter
	enc := json.NewEncoder(env.stdout)
	err = admin.ScanDeadLetters(ctx, js, f, false, func(d *admin.DeadLetter) error {
		if *asJSON {
			return enc.Encode(d)
		}
		d.Body, d.Job = nil, nil // only headers are shown: keep memory small
		list = append(list, d)
		return nil
	})
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	if !*asJSON {
		printDeadLetters(env, list, f, *limit)
	}
	return exitOK
}

// printDeadLetters writes the counts by (type, code, class) and the newest
// limit entries.
func printDeadLetters(env *adminEnv, list []*admin.DeadLetter, f admin.DeadLetterFilter, limit int) {
	w := env.stdout
	what := "every class"
	if f.Class != "" {
		what = "class " + f.Class
	}
	fmt.Fprintf(w, "%d dead letters (%s)\n", len(list), what)
	if f.Class == jobs.ClassOperational {
		fmt.Fprintln(w, "(--class rejected shows the API's final business answers, --all both)")
	}
	if len(list) == 0 {
		return
	}
	type key struct{ t, code, class string }
	counts := map[key]int{}
	for _, d := range list {
		counts[key{d.Type, d.Code, d.Class}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].t != keys[j].t {
			return keys[i].t < keys[j].t
		}
		return keys[i].code < keys[j].code
	})
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tCODE\tCLASS\tCOUNT")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", k.t, k.code, k.class, counts[k])
	}
	_ = tw.Flush()
	if limit == 0 {
		return
	}
	shown := list
	if limit > 0 && len(shown) > limit {
		shown = shown[len(shown)-limit:]
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTYPE\tID\tCODE\tATTEMPTS\tFAILED AT\tREQUEST-ID\tCAMPAIGN\tMESSAGE")
	for i := len(shown) - 1; i >= 0; i-- {
		d := shown[i]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.Seq, d.Type, replayID(d.ID, d.Replay), d.Code, d.Attempts,
			formatTime(d.FailedAt), dash(d.RequestID), dash(d.Campaign), truncate(d.Message, 70))
	}
	_ = tw.Flush()
	if len(shown) < len(list) {
		fmt.Fprintf(w, "(%d older not listed: --limit -1 lists all)\n", len(list)-len(shown))
	}
}

func runDLQShow(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("dlq show", "dlq show SEQ|TYPE/ID|ID [--json]", env)
	asJSON := fs.Bool("json", false, "print as JSON")
	if code, ok := parseFlags(fs, args, 1, 1); !ok {
		return code
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	arg := fs.Arg(0)
	var found []*admin.DeadLetter
	var err error
	if seq, perr := strconv.ParseUint(arg, 10, 64); perr == nil {
		var d *admin.DeadLetter
		if d, err = admin.GetDeadLetter(ctx, js, seq); d != nil {
			found = append(found, d)
		}
	} else {
		f := admin.DeadLetterFilter{IDs: []string{arg}}
		if typ, id, _, ok := jobs.ParseMsgID(arg); ok {
			f = admin.DeadLetterFilter{Types: []string{typ}, IDs: []string{id}}
		}
		err = admin.ScanDeadLetters(ctx, js, f, false, func(d *admin.DeadLetter) error {
			found = append(found, d)
			return nil
		})
	}
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	if len(found) == 0 {
		fmt.Fprintf(env.stderr, "no dead letter %s\n", arg)
		return exitFailed
	}
	for _, d := range found {
		if *asJSON {
			_ = json.NewEncoder(env.stdout).Encode(d)
			continue
		}
		showDeadLetter(env, d)
	}
	return exitOK
}

func showDeadLetter(env *adminEnv, d *admin.DeadLetter) {
	w := env.stdout
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "dead letter\t%d (stream %s)\n", d.Seq, jobs.DLQStream)
	fmt.Fprintf(tw, "job\t%s/%s\n", d.Type, replayID(d.ID, d.Replay))
	fmt.Fprintf(tw, "code\t%s (%s)\n", d.Code, d.Class)
	fmt.Fprintf(tw, "message\t%s\n", d.Message)
	fmt.Fprintf(tw, "attempts\t%d\n", d.Attempts)
	fmt.Fprintf(tw, "request-id\t%s\n", dash(d.RequestID))
	fmt.Fprintf(tw, "failed at\t%s by %s\n", formatTime(d.FailedAt), dash(d.Worker))
	fmt.Fprintf(tw, "job subject\t%s (sequence %d)\n", d.JobSubject, d.JobSeq)
	if d.Campaign != "" {
		fmt.Fprintf(tw, "campaign\t%s\n", d.Campaign)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "job bytes:")
	var pretty strings.Builder
	var v any
	if json.Unmarshal(d.Body, &v) == nil {
		b, _ := json.MarshalIndent(v, "  ", "  ")
		pretty.Write(b)
	} else {
		pretty.WriteString(strconv.Quote(string(d.Body)))
	}
	fmt.Fprintf(w, "  %s\n", pretty.String())
	fmt.Fprintf(w, "replay it: couponq dlq replay %d\n", d.Seq)
}

func runDLQReplay(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("dlq replay", "dlq replay [--type T] [--code C] [--class operational|rejected | --all] [--id ID] [--campaign C] [--dry-run] [--keep] [SEQ...]", env)
	var sel dlqSelection
	sel.register(fs)
	dryRun := fs.Bool("dry-run", false, "list what would be replayed; change nothing")
	keep := fs.Bool("keep", false, "keep the dead letters after replaying them")
	return dlqAct(ctx, args, env, fs, configPath, &sel, dryRun, "replay", func(ctx context.Context, js jetstream.JetStream, d *admin.DeadLetter) (string, error) {
		r, err := admin.ReplayDeadLetter(ctx, js, d, *keep)
		if err != nil {
			return "", err
		}
		if r.Duplicate {
			return fmt.Sprintf("already replayed as %s (one job)", r.MsgID), nil
		}
		return fmt.Sprintf("replayed as %s (job seq %d)", r.MsgID, r.JobSeq), nil
	})
}

func runDLQPurge(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("dlq purge", "dlq purge [--type T] [--code C] [--class operational|rejected | --all] [--id ID] [--campaign C] [--dry-run] [SEQ...]", env)
	var sel dlqSelection
	sel.register(fs)
	dryRun := fs.Bool("dry-run", false, "list what would be deleted; change nothing")
	return dlqAct(ctx, args, env, fs, configPath, &sel, dryRun, "purge", func(ctx context.Context, js jetstream.JetStream, d *admin.DeadLetter) (string, error) {
		deleted, err := admin.DeleteDeadLetter(ctx, js, d.Seq)
		if err != nil {
			return "", err
		}
		if !deleted {
			return "already gone", nil
		}
		return "deleted", nil
	})
}

// dlqAct selects dead letters and applies act to each (or lists them with
// --dry-run), one line per dead letter and a count at the end.
func dlqAct(ctx context.Context, args []string, env *adminEnv, fs *flag.FlagSet, configPath *string, sel *dlqSelection, dryRun *bool, verb string,
	act func(context.Context, jetstream.JetStream, *admin.DeadLetter) (string, error)) int {
	if code, ok := parseFlags(fs, args, 0, -1); !ok {
		return code
	}
	f, err := sel.filter(fs.Args())
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitUsage
	}
	if verb == "purge" && !sel.narrowed(fs.Args()) {
		fmt.Fprintln(env.stderr, "couponq dlq purge: say what to delete (--type, --code, --class, --all, --id, --campaign or SEQ...); --dry-run shows it first")
		return exitUsage
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	// Select first, act after: acting while reading the stream would see
	// the stream change under the scan.
	var selected []*admin.DeadLetter
	err = admin.ScanDeadLetters(ctx, js, f, false, func(d *admin.DeadLetter) error {
		selected = append(selected, d)
		return nil
	})
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	failed := 0
	for _, d := range selected {
		what := "would " + verb
		if !*dryRun {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			what, err = act(actx, js, d)
			cancel()
			if err != nil {
				failed++
				fmt.Fprintf(env.stderr, "%d %s/%s: %v\n", d.Seq, d.Type, d.ID, err)
				continue
			}
		}
		fmt.Fprintf(env.stdout, "%d\t%s/%s\t%s\t%s\n", d.Seq, d.Type, replayID(d.ID, d.Replay), d.Code, what)
		if ctx.Err() != nil {
			break
		}
	}
	done := "done"
	if *dryRun {
		done = "dry run: nothing changed"
	}
	fmt.Fprintf(env.stderr, "%s: %d dead letters selected, %d failed (%s)\n", verb, len(selected), failed, done)
	if failed > 0 || ctx.Err() != nil {
		return exitFailed
	}
	return exitOK
}

// replayID shows a replay generation next to a job id.
func replayID(id string, replay uint64) string {
	if replay == 0 {
		return id
	}
	return fmt.Sprintf("%s (replay of %d)", id, replay)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
