#include "agent/bootcheck_guest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/jsonx.h"
#include "common/util.h"

/* Seconds one agent command may take. */
#define GUEST_CMD_TIMEOUT 5

/* Send O (consumed) to DOM's agent; its "return" member into *RET (owned by *REPLY). */
static int
ask(struct hv *hv, const char *dom, json_object *o, json_object **reply, json_object **ret,
    char *err, size_t errlen)
{
	char *text = NULL;
	int rc = hv_agent_command(hv, dom, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    GUEST_CMD_TIMEOUT, &text, err, errlen);

	json_object_put(o);
	*reply = NULL;
	if (rc < 0)
		return -1;
	*reply = json_tokener_parse(text);
	free(text);
	if (*reply == NULL || !json_object_object_get_ex(*reply, "return", ret)) {
		snprintf(err, errlen, "the guest agent gave an answer without a result");
		json_object_put(*reply);
		*reply = NULL;
		return -1;
	}
	return 0;
}

int
bootcheck_guest_ping(struct hv *hv, const char *dom, char *err, size_t errlen)
{
	json_object *o = json_object_new_object(), *reply, *ret;

	json_object_object_add(o, "execute", json_object_new_string("guest-ping"));
	if (ask(hv, dom, o, &reply, &ret, err, errlen) < 0)
		return -1;
	json_object_put(reply);
	return 0;
}

/* Append the base64 field K of O, decoded, to OUT (of OUTLEN, holding *N bytes). */
static void
append_data(json_object *o, const char *k, char *out, size_t outlen, size_t *n)
{
	const char *b64 = jx_str(o, k);
	char *data = NULL;
	size_t len = 0;

	if (b64 == NULL || *n + 1 >= outlen || crypto_base64_decode(b64, outlen - 1 - *n, &data, &len) < 0)
		return;
	memcpy(out + *n, data, len);
	*n += len;
	out[*n] = '\0';
	free(data);
}

int
bootcheck_guest_exec(struct hv *hv, const char *dom, const char *cmd, double until,
    const volatile sig_atomic_t *cancel, int *exit, char *out, size_t outlen, char *err,
    size_t errlen)
{
	json_object *o = json_object_new_object(), *args = json_object_new_object(),
	    *argv = json_object_new_array(), *reply = NULL, *ret, *v;
	int64_t pid;
	size_t n = 0;

	*exit = -1;
	if (outlen > 0)
		out[0] = '\0';
	json_object_array_add(argv, json_object_new_string("-c"));
	json_object_array_add(argv, json_object_new_string(cmd));
	json_object_object_add(args, "path", json_object_new_string("/bin/sh"));
	json_object_object_add(args, "arg", argv);
	json_object_object_add(args, "capture-output", json_object_new_boolean(1));
	json_object_object_add(o, "execute", json_object_new_string("guest-exec"));
	json_object_object_add(o, "arguments", args);
	if (ask(hv, dom, o, &reply, &ret, err, errlen) < 0)
		return -1;
	pid = jx_int(ret, "pid", -1);
	json_object_put(reply);
	if (pid < 0) {
		snprintf(err, errlen, "the guest agent started no process");
		return -1;
	}
	for (;;) {
		o = json_object_new_object();
		args = json_object_new_object();
		json_object_object_add(args, "pid", json_object_new_int64(pid));
		json_object_object_add(o, "execute", json_object_new_string("guest-exec-status"));
		json_object_object_add(o, "arguments", args);
		if (ask(hv, dom, o, &reply, &ret, err, errlen) < 0)
			return -1;
		if (json_object_object_get_ex(ret, "exited", &v) && json_object_get_boolean(v))
			break;
		json_object_put(reply);
		if (clock_mono() > until || (cancel != NULL && *cancel)) {
			snprintf(err, errlen, "%s", cancel != NULL && *cancel ? "stopped by a signal" :
			    "the command did not finish in time");
			return -1;
		}
		usleep(200000);
	}
	*exit = json_object_object_get_ex(ret, "signal", &v) ? 128 + json_object_get_int(v) :
	    (int)jx_int(ret, "exitcode", -1);
	append_data(ret, "out-data", out, outlen, &n);
	append_data(ret, "err-data", out, outlen, &n);
	json_object_put(reply);
	return 0;
}
