from aicourse.cli import main

raise SystemExit(main())
