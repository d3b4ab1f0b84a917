"""The zoo: model modules in the shapes real SQLModel projects have.

Each module is written the way its source writes it (the SQLModel tutorial,
the FastAPI full-stack template, a guide-style task tracker, one table per
column type the admin claims, a small social network whose members follow
members and whose messages have two keys to the same table, a warehouse's
models over a database older than them, whose tables and columns are named
apart from their attributes, and a library as an async app declares it, its
relationships loaded eagerly or refusing to load by themselves), untouched
for the admin. The tests
under this folder serve each of them and check that a staff user gets every
column, every filter and every write path without the module being tuned for
the admin.

Every class, table and enum name here is unique across the shipped `models`,
`tests.other_models` and the other zoo modules: they share SQLModel's
registry and metadata in one test process.
"""
