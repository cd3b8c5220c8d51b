// The application every consumer app deploys to its Beanstalk environments.
require('http')
  .createServer((req, res) => res.end('ok\n'))
  .listen(process.env.PORT || 8080);
