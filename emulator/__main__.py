from emulator.launch import main

raise SystemExit(main())
