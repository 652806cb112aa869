import gc

# Importing the compiler makes a few hundred thousand objects and none of them is garbage: the
# cycle collector would only rescan them (each command turns it back on, or off, for itself).
gc.disable()

from generator.cli import main  # noqa: E402

main()
