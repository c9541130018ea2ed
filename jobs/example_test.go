package jobs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/couponq/couponq/jobs"
)

// Prepare fixes every byte of a job before it is published: use_time comes
// from the business event, the id from the request number.
func ExamplePrepare() {
	job := jobs.Job{
		Request: json.RawMessage(`{
			"coupon_code": "CODE-0001",
			"stock_id": "100088",
			"appid": "wx233544546545989",
			"use_request_no": "ORDER-A1001-USE"
		}`),
		Meta: json.RawMessage(`{"order_id": "A-1001"}`),
	}
	checkout := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("CST", 8*3600))

	p, err := jobs.Prepare(jobs.TypeBusifavorUse, job, checkout)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("id:     ", p.ID)
	fmt.Println("msg id: ", p.MsgID)
	fmt.Println("subject:", p.Subject)
	fmt.Println("body:   ", string(p.Data))
	// Output:
	// id:      ORDER-A1001-USE
	// msg id:  busifavor.use/ORDER-A1001-USE
	// subject: couponq.jobs.busifavor.use
	// body:    {"id":"ORDER-A1001-USE","request":{"appid":"wx233544546545989","coupon_code":"CODE-0001","stock_id":"100088","use_request_no":"ORDER-A1001-USE","use_time":"2026-01-02T03:04:05+08:00"},"meta":{"order_id":"A-1001"}}
}

// Decode says what is wrong with a job, and where. Every error is an
// *InvalidJobError naming the field; several broken field rules come back
// together (errors.Join), one per line.
func ExampleDecode() {
	bodies := []string{
		`{"request": {"coupon_code": "C1"`,
		`{"request": {"coupon_code": "C1", "colour": "red"}}`,
		`{"id": "X-1", "request": {"coupon_code": "C1", "appid": "wx1", "use_time": "2026-01-02T03:04:05+08:00", "use_request_no": "U-1"}}`,
		`{"request": {"coupon_code": "C1", "use_time": "yesterday", "use_request_no": "U-1"}}`,
	}
	for _, body := range bodies {
		_, err := jobs.Decode(jobs.TypeBusifavorUse, []byte(body))
		var invalid *jobs.InvalidJobError
		if errors.As(err, &invalid) {
			fmt.Printf("[%s] %v\n", invalid.Field, err)
		}
	}
	// Output:
	// [] invalid job: body is not a valid job object: unexpected EOF
	// [request.colour] invalid job: request.colour: unknown field
	// [id] invalid job: id: "X-1" disagrees with the request number "U-1"; omit id or make them equal
	// [request.appid] invalid job: request.appid: is required
	// invalid job: request.use_time: must be an RFC 3339 time with seconds and zone like 2025-07-24T00:00:00+08:00, got "yesterday"
}
