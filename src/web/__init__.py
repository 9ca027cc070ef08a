"""The local web app (afterview serve): the board, the agenda and every fact in a browser."""
