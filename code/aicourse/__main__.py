from aicourse.cli import main

if __name__ == "__main__":  # guarded: parallel figure builds spawn workers that re-import this module
    raise SystemExit(main())
