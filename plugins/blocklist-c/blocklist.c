/*
 * blocklist: a Ringway dialplan plugin written in C, to show that the plugin contract
 * (sdk/wit/ringway.wit) is not tied to Rust.
 *
 * Calls to a number that starts with one of the blocked prefixes are refused with the catalog
 * line "403 Forbidden"; every other call is not this plugin's business (continue).
 *
 * Settings:
 *   prefixes  comma-separated prefixes of the dialed number ("+7900, +7809"); empty blocks none
 *
 * The bindings (router.h, router.c) are generated from the WIT by `ringway-c-tool bindings`.
 * The host hands each decision a fresh instance, so nothing here outlives one call.
 */
#include "router.h"

#include <string.h>

/* The value of setting `name`, if the server configured it. */
static const router_string_t *setting(const router_call_t *call, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < call->settings.len; i++) {
        const router_string_t *key = &call->settings.ptr[i].name;
        if (key->len == len && memcmp(key->ptr, name, len) == 0) {
            return &call->settings.ptr[i].value;
        }
    }
    return NULL;
}

static int is_space(uint8_t c) {
    return c == ' ' || c == '\t';
}

/* Whether `number` starts with one of the comma-separated prefixes in `list`. */
static int blocked(const router_string_t *number, const router_string_t *list) {
    size_t at = 0;
    while (at < list->len) {
        size_t end = at;
        while (end < list->len && list->ptr[end] != ',') {
            end++;
        }
        size_t from = at, to = end;
        while (from < to && is_space(list->ptr[from])) {
            from++;
        }
        while (to > from && is_space(list->ptr[to - 1])) {
            to--;
        }
        size_t len = to - from;
        if (len > 0 && len <= number->len && memcmp(number->ptr, list->ptr + from, len) == 0) {
            return 1;
        }
        at = end + 1;
    }
    return 0;
}

void exports_router_route(router_call_t *call, router_decision_t *ret) {
    const router_string_t *prefixes = setting(call, "prefixes");
    if (call->callee.number.is_some && prefixes != NULL && blocked(&call->callee.number.val, prefixes)) {
        ret->tag = RINGWAY_PLUGIN_TYPES_DECISION_REJECT;
        ret->val.reject.code = 403;
        router_string_dup(&ret->val.reject.reason, "Forbidden");
    } else {
        ret->tag = RINGWAY_PLUGIN_TYPES_DECISION_CONTINUE;
    }
    router_call_free(call);
}

void exports_router_on_failure(router_call_t *call, router_list_attempt_t *attempts, router_decision_t *ret) {
    ret->tag = RINGWAY_PLUGIN_TYPES_DECISION_CONTINUE;
    router_list_attempt_free(attempts);
    router_call_free(call);
}

void exports_router_on_answer(router_call_t *call, router_answer_t *answer) {
    router_answer_free(answer);
    router_call_free(call);
}

void exports_router_on_hangup(router_call_t *call, router_hangup_t *hangup) {
    router_hangup_free(hangup);
    router_call_free(call);
}
