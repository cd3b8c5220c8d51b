// A minimal web app for the example Beanstalk environments. The Node.js platform's nginx proxies
// port 80 to process.env.PORT (8080 by default).
const http = require('http');

const port = Number(process.env.PORT || 8080);
const slot = process.env.SLOT || 'unknown';

http
  .createServer((req, res) => {
    if (req.url === '/db') {
      // Shows that the database settings arrived, never their secret values.
      const settings = ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_SECRET'].map((k) => `${k}: ${process.env[k] ? 'set' : 'missing'}`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(settings.join('\n') + '\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`ok from the ${slot} slot\n`);
  })
  .listen(port);
