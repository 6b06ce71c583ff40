"""Everything the page and the command line draw: colours, pictures, charts, the network
diagram and the equations. Pure functions of arrays, histories and Runs."""
