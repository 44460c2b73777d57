"""The core: the Post model, the shared config types (Strict, Elasticsearch, Topic and its one
matcher), the time grammar, logging, the Elasticsearch client (`Store`, index names in one place)
and the local node. It imports no stage package; `yuqing/app/` is the shell on top of everything."""
