package metrics

// KnownCodes are the error codes that appear as they are in the code label:
// the worker's own, the wechat client's, and those the WeChat Pay documents
// list for the four endpoints. Codes of the form HTTP_<3 digits> are kept
// too; any other code is labelled OtherCode, so no job-controlled text ever
// becomes a label. Config.Codes adds more.
var KnownCodes = []string{
	// The worker's own (jobs.Code*).
	"INVALID_JOB", "RETRIES_EXHAUSTED", "RESPONSE_UNVERIFIED",
	// The wechat client's classification of non-API failures.
	"NETWORK_ERROR", "INVALID_REQUEST", "UNKNOWN_MERCHANT", "CANCELED", "INTERNAL_ERROR",
	// WeChat Pay's, from the endpoint documents.
	"APPID_MCHID_NOT_MATCH", "MCH_NOT_EXISTS", "PARAM_ERROR", "RESOURCE_ALREADY_EXISTS",
	"SYSTEM_ERROR", "SIGN_ERROR", "NOT_ENOUGH", "NO_AUTH", "NOT_FOUND",
	"RESOURCE_NOT_EXISTS", "USER_NOT_EXISTS", "FREQUENCY_LIMITED", "RATELIMIT_EXCEEDED",
}
