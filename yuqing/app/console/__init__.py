"""The web console (`yuqing serve`): where a team works its incidents. Flask + Jinja2, served
by waitress on 127.0.0.1 by default; the pages are drawn by dashboards/console."""
