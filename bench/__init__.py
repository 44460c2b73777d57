"""`yuqing bench`: stage throughputs measured on this machine (index, segment, simhash, nlp, crawl,
alerts). A harness like the shell: it may import any stage."""
