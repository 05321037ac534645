from asterisk_cc.cli import main

raise SystemExit(main())
