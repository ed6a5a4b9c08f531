from minidl.demo import main

main()
