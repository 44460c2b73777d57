"""What people look at: the HTML report and its charts, the e-mail version, and the Kibana saved
objects."""
