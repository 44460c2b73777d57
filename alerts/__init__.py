"""Early warning: rules over aggregations of the stored posts, noise control (cooldown, realert,
silence, recovery), alert state in Elasticsearch, and the outbox that delivers each alert once per
channel (e-mail, webhooks, chat)."""
