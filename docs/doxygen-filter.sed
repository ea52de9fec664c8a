# Doxygen input filter for core/uipsec/*.h (docs/Doxyfile): a plain comment
# after code on the same line ("uint8_t len;  /* bits */") becomes a
# trailing doc comment ("/**< bits */"), so the installed headers keep
# ordinary C comments and still document every member, enum value and macro.
# Whole-line comments and existing doc comments (/** /*! /**<) are left alone.
s#^\([^/]*[^ 	/][ 	]*\)/\*\([^*!]\)#\1/**<\2#
