from yuqing.app.cli import main

main()
