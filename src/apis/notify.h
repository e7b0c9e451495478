/*
 * notify: one message to a Slack-compatible incoming webhook (POST
 * {"text": "..."} as JSON), for the run that ends needing a person.
 *
 * The webhook's URL is a credential (whoever has it can post to the channel): it
 * comes from the environment only (ASHBY2HUMAANS_NOTIFY_URL, registered with
 * secret.h by main), is never staged, logged, traced or put in an error message:
 * the client is made with the URL as its base and an empty path, so messages and
 * -vv traces name "notify: POST" and nothing of the URL.
 *
 * The text is escaped the way Slack's message format wants (& < > as &amp; &lt;
 * &gt;), so a value in it cannot become a mention (<!channel>) or a link.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "base/buf.h"
#include "base/err.h"

/* Attempts in all (a brief retry: a notification never holds a run up). */
#define NOTIFY_ATTEMPTS 3

/*
 * Post `text` (UTF-8, borrowed; escaped here with notify_escape) to `url`. `retry_base_ms` (0 = the default
 * 500 ms) paces the retries. A 2xx answer is success; anything else after the
 * retries is ERR_NETWORK (no answer) or ERR_FAIL (a refusal: "notify: the
 * webhook answered 404"), with `e` naming neither the URL nor the text.
 */
int notify_post(const char *url, const char *text, long retry_base_ms, struct err *e);

/* Append `s` escaped for a Slack message (& < >). */
void notify_escape(struct buf *out, const char *s);

#endif
